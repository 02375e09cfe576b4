import { ROLES, type Principal, type Role } from '@sparkden/alerting';

export { ROLES, coversUnit, type Principal, type Role } from '@sparkden/alerting';

/** A principal plus what its token allows: SMART scopes and the session it belongs to. */
export interface Caller extends Principal {
  scopes: string[];
  sessionId?: string;
  /** The Practitioner id behind a clinician or nurse (care relationships are keyed on it). */
  practitionerId?: string;
  /** `local` for the built-in IdP, the issuer URL for an external one. */
  issuer: string;
  /** Set when a clinician invoked break-the-glass for this request (audited, with reason). */
  breakGlass?: { reason: string };
}

/** Whether `value` is one of {@link ROLES}. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
