import type { Role } from '../api/session.js';

/** One entry of the role-based navigation. */
export interface NavItem {
  route: string;
  label: string;
  /** A full page outside the app shell (the video visit). */
  external?: boolean;
}

const ITEMS = {
  console: { route: 'console', label: 'Alert console' },
  worklist: { route: 'worklist', label: 'Worklist' },
  patients: { route: 'patients', label: 'Patients' },
  portal: { route: 'portal', label: 'My health' },
  messages: { route: 'messages', label: 'Messages' },
  inbox: { route: 'inbox', label: 'Messages' },
  fleet: { route: 'fleet', label: 'Edge fleet' },
  visits: { route: 'visit.html', label: 'Video visits', external: true },
} satisfies Record<string, NavItem>;

/**
 * The views each role may open, first one is the landing view. The hub enforces access on
 * every call; this only keeps a user from being offered what they cannot use.
 */
export const NAV_BY_ROLE: Record<Role, NavItem[]> = {
  nurse: [ITEMS.console, ITEMS.patients, ITEMS.worklist, ITEMS.inbox, ITEMS.visits],
  clinician: [ITEMS.worklist, ITEMS.console, ITEMS.patients, ITEMS.inbox, ITEMS.visits],
  patient: [ITEMS.portal, ITEMS.messages, ITEMS.visits],
  'it-admin': [ITEMS.fleet],
  billing: [ITEMS.worklist],
  system: [],
};

/** The navigation for a role. */
export function navFor(role: Role): NavItem[] {
  return NAV_BY_ROLE[role];
}

/** Whether a role may open an in-app route (its first path segment). */
export function mayOpen(role: Role, route: string): boolean {
  const head = route.split('/')[0] ?? '';
  if (head === 'patient') {
    return role === 'nurse' || role === 'clinician';
  }

  return navFor(role).some((item) => item.route === head);
}
