/** The roles of Spark Den's security baseline. */
export const ROLES = ['patient', 'clinician', 'nurse', 'billing', 'it-admin', 'system'] as const;

/** One role of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/**
 * Who is acting, as the gateway resolved it from a verified token. `units` narrows a nurse
 * or clinician to the care units they cover (ABAC); `patientId` is set for the patient role.
 *
 * @example
 * ```ts
 * const nurse: Principal = { sub: 'u-17', role: 'nurse', units: ['ward-3'] };
 * ```
 */
export interface Principal {
  /** The subject: an opaque user or service id, never a name. */
  sub: string;
  role: Role;
  units: string[];
  patientId?: string;
}

/**
 * Looks up the name colleagues know a principal by (`'Nurse Demo'`), for the alerts they
 * acknowledge; `undefined` when there is none (a system client). It should resolve
 * `undefined` rather than reject when the lookup fails: a rejection fails what it serves.
 *
 * @example
 * ```ts
 * const displayNameOf: DisplayNameOf = async (p) => staffNames.get(p.sub);
 * ```
 */
export type DisplayNameOf<P extends Principal = Principal> = (
  principal: P,
) => Promise<string | undefined>;

/** Whether `principal` covers care unit `unit` (`'*'` in `units` covers every unit). */
export function coversUnit(principal: Principal, unit: string): boolean {
  return principal.units.includes('*') || principal.units.includes(unit);
}
