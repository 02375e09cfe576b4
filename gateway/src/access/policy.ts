import { allowedContexts } from '../auth/scopes.js';
import { GatewayError } from '../errors.js';
import { SqlParams } from '../fhir/search/sql-params.js';
import { COHORT_TYPES, DIRECTORY_TYPES, type ResourceType } from '../fhir/resource-types.js';
import { CareDirectory } from './care.js';
import type { Caller } from './principal.js';
import { LETTER, roleAllows, type Interaction } from './rbac.js';

/** The outcome of an access decision on one patient. */
export interface PatientAccess {
  /** `TREAT` for an ordinary care relationship, `BTG` after break-the-glass. */
  purpose: string;
}

/**
 * Decides every FHIR access: SMART scopes, then the role (RBAC), then the patient
 * (ABAC): a patient sees only their own record, a nurse the patients of their units, a
 * clinician the patients they have a care relationship with (or any patient, audited, after
 * break-the-glass), billing every patient, a system client the patients of its units.
 *
 * @example
 * ```ts
 * policy.checkType(caller, 'Observation', 'read');
 * const { purpose } = await policy.checkPatient(caller, 'p1');
 * ```
 */
export class AccessPolicy {
  readonly #care: CareDirectory;

  constructor(care: CareDirectory) {
    this.#care = care;
  }

  /**
   * Checks scopes and role for an interaction on a type.
   *
   * @throws {GatewayError} `FORBIDDEN`.
   */
  checkType(caller: Caller, type: ResourceType, interaction: Interaction): void {
    const contexts = allowedContexts(caller.scopes, type, LETTER[interaction]);
    if (contexts.length === 0) {
      throw new GatewayError('FORBIDDEN', `scope does not allow ${interaction} on ${type}`);
    }
    // [SMART App Launch 2.0: patient/ scopes need a patient in context]
    const usable = contexts.some((c) => c !== 'patient' || caller.patientId !== undefined);
    if (!usable || !roleAllows(caller.role, type, interaction)) {
      throw new GatewayError('FORBIDDEN', `role ${caller.role} may not ${interaction} ${type}`);
    }
  }

  /** Whether a type is outside any patient compartment for this caller. */
  isUnscoped(caller: Caller, type: ResourceType): boolean {
    const cohortKeeper = caller.role === 'it-admin' || caller.role === 'system';

    return (
      DIRECTORY_TYPES.includes(type) ||
      (caller.role === 'it-admin' && type === 'Device') ||
      (cohortKeeper && COHORT_TYPES.includes(type))
    );
  }

  /**
   * Checks that the caller may touch `patientId`'s record.
   *
   * @throws {GatewayError} `FORBIDDEN`.
   */
  async checkPatient(caller: Caller, patientId: string): Promise<PatientAccess> {
    if (await this.#covers(caller, patientId)) {
      return { purpose: caller.role === 'billing' ? 'HPAYMT' : 'TREAT' };
    }
    if (caller.breakGlass !== undefined && caller.role === 'clinician' && !patientBound(caller)) {
      return { purpose: 'BTG' };
    }

    throw new GatewayError('FORBIDDEN', 'no access to this patient');
  }

  async #covers(caller: Caller, patientId: string): Promise<boolean> {
    const patientScoped = caller.patientId !== undefined && onlyPatientScopes(caller);
    if (patientScoped && caller.patientId !== patientId) {
      return false;
    }
    switch (caller.role) {
      case 'patient':
        return caller.patientId === patientId;
      case 'billing':
        return true;
      case 'it-admin':
        return false;
      case 'clinician':
        return (
          caller.practitionerId !== undefined &&
          (await this.#care.hasCareRelationship(caller.practitionerId, patientId))
        );
      case 'nurse':
      case 'system': {
        const units = await this.unitsOf(caller);
        if (units.includes('*')) {
          return true;
        }
        const patientUnits = await this.#care.unitsOfPatient(patientId);

        return patientUnits.some((u) => units.includes(u));
      }
    }
  }

  /**
   * Whether the caller may see every patient's resources of `type` (nothing narrows a
   * search), so telling them a resource does not exist reveals nothing.
   */
  async seesEveryPatient(caller: Caller, type: ResourceType): Promise<boolean> {
    return (await this.searchRestriction(caller, type, new SqlParams())) === undefined;
  }

  /**
   * The SQL condition that narrows a search to the patients the caller may see;
   * `undefined` when nothing narrows it. A clinician under break-the-glass searches as
   * they read: every patient, each one touched audited by the search.
   */
  async searchRestriction(
    caller: Caller,
    type: ResourceType,
    sql: SqlParams,
  ): Promise<string | undefined> {
    if (this.isUnscoped(caller, type)) {
      return undefined;
    }
    if (caller.breakGlass !== undefined && caller.role === 'clinician' && !patientBound(caller)) {
      return undefined;
    }
    const own =
      caller.patientId === undefined ? undefined : `r.patient_id = ${sql.add(caller.patientId)}`;
    if (own !== undefined && onlyPatientScopes(caller)) {
      return own;
    }
    switch (caller.role) {
      case 'patient':
        return own ?? 'false';
      case 'billing':
        return undefined;
      case 'it-admin':
        return 'false';
      case 'clinician':
        return caller.practitionerId === undefined
          ? 'false'
          : CareDirectory.caredForSql(sql, caller.practitionerId);
      case 'nurse':
      case 'system': {
        const units = await this.unitsOf(caller);

        return units.includes('*') ? undefined : CareDirectory.inUnitsSql(sql, units);
      }
    }
  }

  /** The units a caller covers: their own plus their PractitionerRoles' Locations. */
  async unitsOf(caller: Caller): Promise<string[]> {
    if (caller.practitionerId === undefined) {
      return caller.units;
    }
    const roleUnits = await this.#care.unitsOfPractitioner(caller.practitionerId);

    return [...new Set([...caller.units, ...roleUnits])];
  }
}

// A token limited to one patient's scopes stays limited to that patient, glass or not.
function patientBound(caller: Caller): boolean {
  return caller.patientId !== undefined && onlyPatientScopes(caller);
}

function onlyPatientScopes(caller: Caller): boolean {
  return caller.scopes.every((s) => !s.startsWith('user/') && !s.startsWith('system/'));
}
