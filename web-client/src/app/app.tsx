import { useEffect, useRef } from 'preact/hooks';

import { logOut } from './api/auth.js';
import { session } from './api/session.js';
import { useSession } from './hooks.js';
import { hrefOf, navigate, useRoute } from './router.js';
import { mayOpen, navFor } from './model/nav.js';
import { lazyView } from './ui/lazy-view.js';
import { LoginView } from './ui/login-view.js';
import { SessionWarning } from './ui/session-warning.js';

// Each view is its own chunk: the sign-in page loads neither the socket client nor the
// charting library, and a patient never downloads the nurse console.
const ConsoleView = lazyView(() => import('./ui/console-view.js').then((m) => m.ConsoleView));
const WorklistView = lazyView(() => import('./ui/worklist-view.js').then((m) => m.WorklistView));
const PatientsView = lazyView(() => import('./ui/patients-view.js').then((m) => m.PatientsView));
const PatientChartView = lazyView(() =>
  import('./ui/patient-chart-view.js').then((m) => m.PatientChartView),
);
const PortalView = lazyView(() => import('./ui/portal-view.js').then((m) => m.PortalView));
const MessagesView = lazyView(() => import('./ui/messages-view.js').then((m) => m.MessagesView));
const InboxView = lazyView(() => import('./ui/inbox-view.js').then((m) => m.InboxView));
const FleetView = lazyView(() => import('./ui/fleet-view.js').then((m) => m.FleetView));

const ROLE_LABELS: Record<string, string> = {
  nurse: 'Nurse',
  clinician: 'Clinician',
  patient: 'Patient',
  'it-admin': 'IT admin',
  billing: 'Billing',
  system: 'System',
};

/** The app shell: sign-in, role-based navigation, the session-timeout warning and the views. */
export function App() {
  const data = useSession();
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => {
    const onActivity = () => session.touch();
    document.addEventListener('keydown', onActivity);
    document.addEventListener('pointerdown', onActivity);

    return () => {
      document.removeEventListener('keydown', onActivity);
      document.removeEventListener('pointerdown', onActivity);
    };
  }, []);

  const role = data?.role;
  const nav = role ? navFor(role) : [];
  const landing = nav.find((i) => !i.external)?.route ?? '';
  const effective = role && route && mayOpen(role, route) ? route : landing;

  useEffect(() => {
    if (data && effective !== route) {
      navigate(effective);
    }
  }, [data, effective, route]);

  if (!data) {
    return <LoginView />;
  }

  const head = effective.split('/')[0];

  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => skipToMain(e, mainRef.current)}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Spark Den</span>
        <nav class="main" aria-label="Main">
          <ul>
            {nav.map((item) => (
              <li key={item.route}>
                <a
                  href={item.external ? `/${item.route}` : hrefOf(item.route)}
                  aria-current={head === item.route ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {data.displayName ?? 'Signed in'} · {ROLE_LABELS[data.role] ?? data.role}
        </span>
        <button type="button" onClick={() => void logOut()}>
          Sign out
        </button>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <View route={effective} />
      </main>
      <SessionWarning />
    </>
  );
}

function skipToMain(event: Event, main: HTMLElement | null): void {
  event.preventDefault();
  main?.focus();
}

function View({ route }: { route: string }) {
  const [head, ...rest] = route.split('/');
  switch (head) {
    case 'console':
      return <ConsoleView />;
    case 'worklist':
      return <WorklistView />;
    case 'patients':
      return <PatientsView />;
    case 'patient':
      return <PatientChartView patientId={rest.join('/')} />;
    case 'portal':
      return <PortalView />;
    case 'messages':
      return <MessagesView />;
    case 'inbox':
      return <InboxView patientId={rest.length > 0 ? rest.join('/') : undefined} />;
    case 'fleet':
      return <FleetView />;
    default:
      return <p>Loading…</p>;
  }
}
