import type { StoredClaim } from './store/rows.js';

/** A FHIR R4 resource as plain JSON. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  [key: string]: unknown;
}

/** A payment posted against a claim, as `BillingStore.listPayments` returns it. */
export interface PostedPayment {
  id: number;
  remittanceId: number;
  claimStatus: string;
  paidCents: number;
  patientResponsibilityCents: number;
  adjustments: { group: string; reason: string; amountCents: number; lineRef: string | null }[];
}

const SYSTEMS = {
  npi: 'http://hl7.org/fhir/sid/us-npi',
  icd10: 'http://hl7.org/fhir/sid/icd-10-cm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  modifier: 'http://www.ama-assn.org/go/cpt',
  pos: 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set',
  claimType: 'http://terminology.hl7.org/CodeSystem/claim-type',
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  carc: 'https://x12.org/codes/claim-adjustment-reason-codes',
  relationship: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  payerId: 'urn:sparkden:payer-id',
  claimId: 'urn:sparkden:claim-id',
};

// [X12 PAT01 → FHIR subscriber-relationship]
const RELATIONSHIP: Record<string, string> = {
  '01': 'spouse',
  '19': 'child',
  '20': 'other',
  '21': 'other',
  '39': 'other',
  '40': 'other',
  '53': 'common',
  G8: 'other',
};

const money = (cents: number) => ({ value: cents / 100, currency: 'USD' });
const professional = { coding: [{ system: SYSTEMS.claimType, code: 'professional' }] };

function base(stored: StoredClaim) {
  return {
    status: 'active',
    type: professional,
    use: 'claim',
    patient: { reference: `Patient/${stored.patientId}` },
    created: stored.createdAt,
    insurer: {
      identifier: { system: SYSTEMS.payerId, value: stored.payerId },
      display: stored.claim.payer.name,
    },
  };
}

// [FHIR R4 Reference] the patient's own Coverage in the clinical store (served under /fhir)
// when the claim knows it; else a snapshot of the billed coverage contained in the resource.
function coverageOf(stored: StoredClaim) {
  const id = stored.claim.coverageId;
  if (id !== undefined) {
    return { reference: { reference: `Coverage/${id}` }, contained: {} };
  }

  return {
    reference: { reference: '#coverage' },
    contained: { contained: [{ ...toFhirCoverage(stored), id: 'coverage' }] },
  };
}

/**
 * The FHIR R4 `Coverage` a claim was billed to.
 *
 * @example
 * ```ts
 * const coverage = toFhirCoverage(await store.getClaim(id));
 * ```
 */
export function toFhirCoverage(stored: StoredClaim): FhirResource {
  const c = stored.claim;
  const code = c.patient === undefined ? 'self' : (RELATIONSHIP[c.patient.relationship] ?? 'other');

  return {
    resourceType: 'Coverage',
    id: c.coverageId ?? `${stored.id}-coverage`,
    status: 'active',
    subscriberId: c.subscriber.memberId,
    beneficiary: { reference: `Patient/${stored.patientId}` },
    relationship: { coding: [{ system: SYSTEMS.relationship, code }] },
    payor: [
      { identifier: { system: SYSTEMS.payerId, value: c.payer.payerId }, display: c.payer.name },
    ],
    ...(c.subscriber.groupNumber === undefined
      ? {}
      : {
          class: [
            {
              type: {
                coding: [
                  { system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' },
                ],
              },
              value: c.subscriber.groupNumber,
            },
          ],
        }),
  };
}

/** The FHIR R4 `Claim` for a stored claim, each item carrying its coding explanation. */
export function toFhirClaim(stored: StoredClaim): FhirResource {
  const c = stored.claim;
  const coverage = coverageOf(stored);

  return {
    resourceType: 'Claim',
    id: stored.id,
    ...coverage.contained,
    identifier: [{ system: SYSTEMS.claimId, value: stored.id }],
    ...base(stored),
    provider: {
      identifier: { system: SYSTEMS.npi, value: c.billingProvider.npi },
      display: c.billingProvider.name,
    },
    priority: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }],
    },
    insurance: [{ sequence: 1, focal: true, coverage: coverage.reference }],
    diagnosis: c.diagnoses.map((code, i) => ({
      sequence: i + 1,
      diagnosisCodeableConcept: { coding: [{ system: SYSTEMS.icd10, code }] },
    })),
    item: c.lines.map((l, i) => ({
      sequence: i + 1,
      diagnosisSequence: l.diagnosisPointers,
      productOrService: {
        coding: [{ system: SYSTEMS.cpt, code: l.code }],
        ...(l.explanation === undefined ? {} : { text: l.explanation }),
      },
      ...(l.modifiers.length === 0
        ? {}
        : {
            modifier: l.modifiers.map((m) => ({ coding: [{ system: SYSTEMS.modifier, code: m }] })),
          }),
      servicedDate: l.dateOfService,
      locationCodeableConcept: {
        coding: [{ system: SYSTEMS.pos, code: l.placeOfService ?? c.placeOfService }],
      },
      quantity: { value: l.units },
      net: money(l.chargeCents),
    })),
    total: money(stored.totalCents),
  };
}

// [FHIR R4 RemittanceOutcome] `complete` once the payer adjudicated the claim, whatever it
// paid (a denial too); `error` is for a claim that could not be processed at all, and
// `queued` for one not adjudicated yet.
function outcomeOf(stored: StoredClaim): string {
  return stored.status === 'ready' || stored.status === 'submitted' ? 'queued' : 'complete';
}

// [X12 CARC PR-1 deductible, PR-3 co-payment] map to the FHIR adjudication codes; every
// other group keeps its X12 group code in a local system rather than a wrong FHIR one.
function categoryOf(group: string, reason: string) {
  if (group === 'PR' && reason === '1') {
    return { coding: [{ system: SYSTEMS.adjudication, code: 'deductible' }] };
  }
  if (group === 'PR' && reason === '3') {
    return { coding: [{ system: SYSTEMS.adjudication, code: 'copay' }] };
  }

  return {
    coding: [{ system: 'urn:sparkden:x12-adjustment-group', code: group }],
    text: `${group} adjustment`,
  };
}

function adjudication(stored: StoredClaim, payments: readonly PostedPayment[]) {
  const paid = payments.reduce((s, p) => s + p.paidCents, 0);

  return [
    {
      category: { coding: [{ system: SYSTEMS.adjudication, code: 'submitted' }] },
      amount: money(stored.totalCents),
    },
    ...payments.flatMap((p) =>
      p.adjustments.map((a) => ({
        category: categoryOf(a.group, a.reason),
        reason: {
          coding: [{ system: SYSTEMS.carc, code: a.reason }],
          text: `${a.group}-${a.reason}`,
        },
        amount: money(a.amountCents),
      })),
    ),
    {
      category: { coding: [{ system: SYSTEMS.adjudication, code: 'benefit' }] },
      amount: money(paid),
    },
  ];
}

/** The FHIR R4 `ClaimResponse` summing what the payer's 835s said about a claim. */
export function toFhirClaimResponse(
  stored: StoredClaim,
  payments: readonly PostedPayment[],
): FhirResource {
  return {
    resourceType: 'ClaimResponse',
    id: `${stored.id}-response`,
    ...base(stored),
    request: { reference: `Claim/${stored.id}` },
    outcome: outcomeOf(stored),
    disposition: `claim ${stored.status}`,
    adjudication: adjudication(stored, payments),
    total: [
      {
        category: { coding: [{ system: SYSTEMS.adjudication, code: 'submitted' }] },
        amount: money(stored.totalCents),
      },
      {
        category: { coding: [{ system: SYSTEMS.adjudication, code: 'benefit' }] },
        amount: money(stored.paidCents),
      },
    ],
    payment: {
      type: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/ex-paymenttype', code: 'complete' },
        ],
      },
      amount: money(stored.paidCents),
    },
  };
}

/** The FHIR R4 `ExplanationOfBenefit` of an adjudicated claim, with CARC reasons. */
export function toFhirExplanationOfBenefit(
  stored: StoredClaim,
  payments: readonly PostedPayment[],
): FhirResource {
  const c = stored.claim;
  const coverage = coverageOf(stored);

  return {
    resourceType: 'ExplanationOfBenefit',
    id: `${stored.id}-eob`,
    ...coverage.contained,
    ...base(stored),
    provider: { identifier: { system: SYSTEMS.npi, value: c.billingProvider.npi } },
    claim: { reference: `Claim/${stored.id}` },
    claimResponse: { reference: `ClaimResponse/${stored.id}-response` },
    outcome: outcomeOf(stored),
    insurance: [{ focal: true, coverage: coverage.reference }],
    adjudication: adjudication(stored, payments),
    total: [
      {
        category: { coding: [{ system: SYSTEMS.adjudication, code: 'submitted' }] },
        amount: money(stored.totalCents),
      },
      {
        category: { coding: [{ system: SYSTEMS.adjudication, code: 'benefit' }] },
        amount: money(stored.paidCents),
      },
    ],
    payment: { amount: money(stored.paidCents) },
  };
}

/** A FHIR `Bundle` (collection) of a claim, its coverage and, once paid, its response and EOB. */
export function toFhirBundle(
  stored: StoredClaim,
  payments: readonly PostedPayment[],
): FhirResource {
  const resources = [toFhirClaim(stored), toFhirCoverage(stored)];
  if (payments.length > 0) {
    resources.push(
      toFhirClaimResponse(stored, payments),
      toFhirExplanationOfBenefit(stored, payments),
    );
  }

  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({
      fullUrl: `urn:sparkden:${resource.resourceType}/${resource.id}`,
      resource,
    })),
  };
}
