import type { ClaimPerson } from './claim.js';

/** One coverage of a patient with a payer we have a contract with. */
export interface PatientCoverage {
  /** The FHIR `Coverage` id in the clinical store, which a claim's `insurance` references. */
  coverageId?: string;
  payerId: string;
  memberId: string;
  groupNumber?: string;
  /** The subscriber, when the patient is a dependent; `relationship` is X12 PAT01. */
  subscriber?: ClaimPerson & {
    relationship: '01' | '19' | '20' | '21' | '39' | '40' | '53' | 'G8';
  };
  /** Coverage period, `YYYY-MM-DD`, when known. */
  start?: string;
  end?: string;
}

/** What billing needs to know of a patient; the clinical domain provides it. */
export interface BillingPatient {
  patientId: string;
  person: ClaimPerson;
  coverages: PatientCoverage[];
  /** Active problems (ICD-10-CM) to put on a claim when the clerk names none. */
  diagnoses: string[];
}

/**
 * Where patient demographics, coverage and problems come from. The hub wires it to the
 * clinical store (FHIR Patient, Coverage, Condition).
 *
 * @example
 * ```ts
 * const patients: PatientDirectory = { getBillingPatient: (id) => clinical.billingView(id) };
 * ```
 */
export interface PatientDirectory {
  getBillingPatient(patientId: string): Promise<BillingPatient | undefined>;
}
