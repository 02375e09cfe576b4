import {
  COHORT_TYPES,
  DIRECTORY_TYPES,
  FINANCIAL_TYPES,
  type ResourceType,
} from '../fhir/resource-types.js';
import type { Role } from './principal.js';

/** A FHIR interaction an access decision is about. */
export type Interaction =
  'read' | 'vread' | 'history' | 'search' | 'create' | 'update' | 'patch' | 'delete';

/** The SMART v2 letter each interaction needs. */
export const LETTER = {
  read: 'r',
  vread: 'r',
  history: 'r',
  search: 's',
  create: 'c',
  update: 'u',
  patch: 'u',
  delete: 'd',
} as const;

const READS: readonly Interaction[] = ['read', 'vread', 'history', 'search'];
const ALL: readonly Interaction[] = [...READS, 'create', 'update', 'patch', 'delete'];
const CLINICAL_WRITES: readonly ResourceType[] = [
  'Observation',
  'Communication',
  'CarePlan',
  'Goal',
];
const BILLING_READS: readonly ResourceType[] = [
  'Patient',
  'Coverage',
  'Encounter',
  'Appointment',
  'Condition',
];

/**
 * The role-based half of access control: which interactions a role may perform on a
 * resource type at all. The attribute-based half (which patients) is {@link AccessPolicy}.
 *
 * | role | may |
 * |---|---|
 * | patient | read their compartment and the directory; create Observation, Communication |
 * | nurse | read all clinical types; write Observation, Communication, CarePlan, Goal; create Patient |
 * | clinician | read and write every clinical type |
 * | billing | read Patient, Coverage, Encounter, Appointment, Condition; write Coverage |
 * | it-admin | read and write the directory (Practitioner, Location, …) and Devices; no PHI |
 * | system | reads; writes only as its scopes say |
 *
 * Groups (cohorts of patients) are for `it-admin` and `system` alone: a member list is PHI.
 * Claims, ClaimResponses and ExplanationOfBenefits are read by `billing` (and `system`
 * clients, per their scopes and units) only; `it-admin` sees no PHI, and clinical roles
 * have no payment purpose.
 */
export function roleAllows(role: Role, type: ResourceType, interaction: Interaction): boolean {
  const isRead = READS.includes(interaction);
  if (COHORT_TYPES.includes(type)) {
    return role === 'it-admin' || role === 'system';
  }
  if (FINANCIAL_TYPES.includes(type)) {
    return isRead && (role === 'billing' || role === 'system');
  }
  const directory = DIRECTORY_TYPES.includes(type);
  switch (role) {
    case 'patient':
      return (
        isRead || (interaction === 'create' && (type === 'Observation' || type === 'Communication'))
      );
    case 'nurse':
      return (
        isRead ||
        (!directory && CLINICAL_WRITES.includes(type)) ||
        (type === 'Patient' && interaction === 'create')
      );
    case 'clinician':
      return isRead || !directory;
    case 'billing':
      return (isRead && (directory || BILLING_READS.includes(type))) || type === 'Coverage';
    case 'it-admin':
      return (directory || type === 'Device') && ALL.includes(interaction);
    case 'system':
      return true;
  }
}
