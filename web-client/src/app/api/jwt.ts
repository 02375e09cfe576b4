import type { Role } from './session.js';

const ROLES: readonly Role[] = ['patient', 'clinician', 'nurse', 'billing', 'it-admin', 'system'];

/**
 * Reads a JWT's payload without verifying it. The browser never trusts these claims for
 * access (the hub verifies every call); it uses them only to choose what to show.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) {
    return {};
  }

  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));

    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The role named by `role`, or the first known one of `roles`. */
export function readRole(claims: Record<string, unknown>): Role | undefined {
  const roles: unknown[] = Array.isArray(claims.roles) ? claims.roles : [];
  const candidates = [claims.role, ...roles];

  return candidates.find((r): r is Role => ROLES.includes(r as Role));
}
