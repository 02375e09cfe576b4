/** Every resource type the FHIR API serves. */
export const RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
  'CareTeam',
  'Encounter',
  'Appointment',
  'Observation',
  'Device',
  'Condition',
  'AllergyIntolerance',
  'MedicationRequest',
  'MedicationStatement',
  'DiagnosticReport',
  'CarePlan',
  'Goal',
  'Coverage',
  'Consent',
  'Communication',
  'Group',
  'Claim',
  'ClaimResponse',
  'ExplanationOfBenefit',
] as const;

/** One of {@link RESOURCE_TYPES}. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A FHIR resource as JSON. */
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [k: string]: unknown };
  [key: string]: unknown;
}

/** Types that describe the organisation, not a patient: no patient compartment. */
export const DIRECTORY_TYPES: readonly ResourceType[] = [
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
];

/**
 * Types that list many patients (a Group's members): outside any one patient's
 * compartment, yet PHI, so only `it-admin` (who keeps cohorts) and `system` clients (who
 * export them) touch them.
 */
export const COHORT_TYPES: readonly ResourceType[] = ['Group'];

/**
 * Financial types another part keeps (billing's claims and their adjudication), served
 * read-only (read and search) from the source it registers with the FHIR service.
 */
export const FINANCIAL_TYPES: readonly ResourceType[] = [
  'Claim',
  'ClaimResponse',
  'ExplanationOfBenefit',
];

/** Types whose top-level identifying fields are encrypted at rest. */
export const PERSON_TYPES: readonly ResourceType[] = ['Patient', 'Practitioner'];

/**
 * The identifying top-level fields of a person resource: [HIPAA 164.514(b)(2)] names, dates,
 * identifiers, phone and email, addresses and full-face photographs, and a patient's contacts
 * (relatives and guardians, with their own names, phones and addresses).
 */
export const IDENTIFYING_FIELDS = [
  'name',
  'birthDate',
  'identifier',
  'telecom',
  'address',
  'photo',
  'contact',
];

// [FHIR R4 CompartmentDefinition patient] the element that names the patient, per type.
const PATIENT_PATHS: Partial<Record<ResourceType, string>> = {
  CareTeam: 'subject',
  Encounter: 'subject',
  Observation: 'subject',
  Device: 'patient',
  Condition: 'subject',
  AllergyIntolerance: 'patient',
  MedicationRequest: 'subject',
  MedicationStatement: 'subject',
  DiagnosticReport: 'subject',
  CarePlan: 'subject',
  Goal: 'subject',
  Coverage: 'beneficiary',
  Consent: 'patient',
  Communication: 'subject',
  Claim: 'patient',
  ClaimResponse: 'patient',
  ExplanationOfBenefit: 'patient',
};

/** Whether `type` is served. */
export function isResourceType(type: string): type is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(type);
}

/** The id of the patient a resource belongs to, or `undefined` (directory data). */
export function patientOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Patient') {
    return resource.id;
  }
  if (resource.resourceType === 'Appointment') {
    const participants = (resource.participant ?? []) as { actor?: { reference?: string } }[];

    return participants.map((p) => patientIdOf(p.actor?.reference)).find((id) => id);
  }

  const path = PATIENT_PATHS[resource.resourceType as ResourceType];
  const ref = path === undefined ? undefined : (resource[path] as { reference?: string });

  return patientIdOf(ref?.reference);
}

/** `Patient/123` (or an absolute URL ending so) → `123`. */
export function patientIdOf(reference: string | undefined): string | undefined {
  const match =
    reference === undefined ? null : /(?:^|\/)Patient\/([A-Za-z0-9.-]{1,64})$/.exec(reference);

  return match?.[1];
}
