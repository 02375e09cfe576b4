import type { PatientDirectory, BillingPatient, PatientCoverage } from '../billing/index.js';
import type { FhirRepository, StoredRow } from '../fhir/repository.js';
import type { Resource } from '../fhir/resource-types.js';

type Json = Record<string, unknown>;

const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';

function first<T>(value: unknown): T | undefined {
  return Array.isArray(value) ? (value[0] as T | undefined) : undefined;
}

// [FHIR R4 Patient.gender] → [X12 837P 2010BA DMG03]
function sexOf(gender: unknown): 'M' | 'F' | 'U' {
  return gender === 'male' ? 'M' : gender === 'female' ? 'F' : 'U';
}

// A FHIR primitive as text: a string as it is, anything else (absent, or malformed) empty.
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function personOf(patient: Resource): BillingPatient['person'] {
  const name = first<Json>(patient.name) ?? {};
  const address = first<Json>(patient.address) ?? {};
  const lines = (address.line as string[] | undefined) ?? [];

  return {
    lastName: text(name.family),
    firstName: String(first<string>(name.given) ?? ''),
    birthDate: text(patient.birthDate),
    sex: sexOf(patient.gender),
    address: {
      line1: lines[0] ?? '',
      line2: lines[1],
      city: text(address.city),
      state: text(address.state),
      postalCode: text(address.postalCode).replace('-', ''),
    },
  };
}

// [FHIR R4 Coverage] payor → the payer id of the contract; subscriberId → member id.
function coverageOf(c: Resource): PatientCoverage | undefined {
  const payor = first<Json>(c.payor);
  const payerId =
    ((payor?.identifier as Json | undefined)?.value as string | undefined) ??
    (payor?.reference as string | undefined)?.split('/')[1];
  const memberId = (c.subscriberId as string | undefined) ?? undefined;
  if (payerId === undefined || memberId === undefined || c.status === 'cancelled') {
    return undefined;
  }
  const group = (c.class as Json[] | undefined)?.find(
    (k) => first<Json>((k.type as Json | undefined)?.coding)?.code === 'group',
  );
  const period = (c.period as Json | undefined) ?? {};

  return {
    coverageId: typeof c.id === 'string' ? c.id : undefined,
    payerId,
    memberId,
    groupNumber: group?.value as string | undefined,
    start: (period.start as string | undefined)?.slice(0, 10),
    end: (period.end as string | undefined)?.slice(0, 10),
  };
}

function icd10Of(condition: Resource): string | undefined {
  const status = first<Json>((condition.clinicalStatus as Json | undefined)?.coding)?.code;
  if (status !== undefined && status !== 'active') {
    return undefined;
  }
  const codings = ((condition.code as Json | undefined)?.coding as Json[] | undefined) ?? [];

  return codings.find((c) => c.system === ICD10)?.code as string | undefined;
}

/**
 * Billing's view of a patient, read from the clinical FHIR store: demographics from
 * Patient (sealed fields opened by the repository), coverages from Coverage, diagnoses from
 * active Conditions coded in ICD-10-CM. Missing pieces stay empty so the claim scrubber
 * names them.
 */
export function fhirBillingPatients(repo: FhirRepository): PatientDirectory {
  async function ofPatient(type: string, patientId: string): Promise<Resource[]> {
    const { rows } = await repo.db.query<StoredRow>(
      `select * from clinical.resources
        where resource_type = $1 and patient_id = $2 and not deleted`,
      [type, patientId],
    );

    return rows.map((row) => repo.toResource(row));
  }

  return {
    async getBillingPatient(patientId) {
      const row = await repo.current('Patient', patientId);
      if (row === undefined || row.deleted) {
        return undefined;
      }
      const patient = repo.toResource(row);
      const coverages = (await ofPatient('Coverage', patientId)).map(coverageOf);
      const diagnoses = (await ofPatient('Condition', patientId)).map(icd10Of);

      return {
        patientId,
        person: personOf(patient),
        coverages: coverages.filter((c): c is PatientCoverage => c !== undefined),
        diagnoses: [...new Set(diagnoses.filter((d): d is string => d !== undefined))],
      };
    },
  };
}
