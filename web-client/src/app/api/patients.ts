import { displayName, readFhir, searchFhir, type FhirResource, type HumanName } from './fhir.js';

/** A FHIR Patient, reduced to what the app shows. */
export interface PatientResource extends FhirResource {
  resourceType: 'Patient';
  name?: HumanName[];
  birthDate?: string;
  identifier?: Array<{ system?: string; value?: string }>;
}

const labels = new Map<string, Promise<string>>();

/**
 * The display name of a patient, read once per page load (every read is audited by the hub,
 * so the app does not re-read a name it already has). Falls back to the id.
 */
export function patientLabel(patientId: string): Promise<string> {
  let label = labels.get(patientId);
  if (!label) {
    label = readFhir<PatientResource>('Patient', patientId).then(
      (p) => displayName(p, patientId),
      () => patientId,
    );
    labels.set(patientId, label);
  }

  return label;
}

/** The patients the signed-in nurse or clinician may see (the hub narrows by unit and care team). */
export async function listPatients(): Promise<PatientResource[]> {
  const found = await searchFhir<PatientResource>('Patient', { _count: '200' });

  return found.sort((a, b) => displayName(a).localeCompare(displayName(b)));
}
