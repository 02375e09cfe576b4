import {
  toFhirClaim,
  toFhirClaimResponse,
  toFhirExplanationOfBenefit,
  type BillingStore,
  type StoredClaim,
} from '../billing/index.js';
import type { ResourceType } from '../fhir/resource-types.js';
import type { FhirSource, SourcedResource } from '../fhir/sources.js';

// [FHIR R4 ClaimResponse, ExplanationOfBenefit] one of each per adjudicated claim, with ids
// derived from the claim's, as the billing API's claim Bundle names them.
const SUFFIX: Partial<Record<ResourceType, string>> = {
  ClaimResponse: '-response',
  ExplanationOfBenefit: '-eob',
};

/**
 * The billing store as a read-only FHIR source: `Claim/{claimId}` for every claim, and
 * `ClaimResponse/{claimId}-response` and `ExplanationOfBenefit/{claimId}-eob` once a
 * remittance has paid or denied it.
 *
 * @example
 * ```ts
 * gateway.registerFhirSource(billingFhirSource(store));
 * ```
 */
export function billingFhirSource(store: BillingStore): FhirSource {
  const render = async (type: ResourceType, claim: StoredClaim): Promise<SourcedResource> => {
    const payments = type === 'Claim' ? [] : await store.listPayments(claim.id);
    const resource =
      type === 'Claim'
        ? toFhirClaim(claim)
        : type === 'ClaimResponse'
          ? toFhirClaimResponse(claim, payments)
          : toFhirExplanationOfBenefit(claim, payments);

    return { resource, patientId: claim.patientId };
  };
  const claimIdOf = (type: ResourceType, id: string) => {
    const suffix = SUFFIX[type] ?? '';

    return id.endsWith(suffix) ? id.slice(0, id.length - suffix.length) : undefined;
  };

  return {
    types: ['Claim', 'ClaimResponse', 'ExplanationOfBenefit'],
    async read(type, id) {
      const claimId = claimIdOf(type, id);
      const withPayments = type !== 'Claim';
      const page =
        claimId === undefined
          ? { claims: [] }
          : await store.pageClaims({ ids: [claimId], withPayments, limit: 1, offset: 0 });
      const claim = page.claims[0];

      return claim === undefined ? undefined : render(type, claim);
    },
    async search(type, query) {
      const ids = query.ids
        ?.map((id) => claimIdOf(type, id))
        .filter((id): id is string => id !== undefined);
      const { claims, total } = await store.pageClaims({
        patientId: query.patientId,
        ids,
        withPayments: type !== 'Claim',
        limit: query.count,
        offset: query.offset,
      });
      const resources = await Promise.all(claims.map((claim) => render(type, claim)));

      return { resources, total };
    },
  };
}
