import type { Queryable } from '@sparkden/alerting';

import type { CodeSuggestion, CodingResult } from '../coding/suggestion.js';
import { BillingError } from '../errors.js';

/** Codes that may not both be billed for one patient and period share a slot. */
export type BilledSlot = 'setup' | 'supply' | 'tm' | 'tm-add' | 'em';

/** One service a claim bills, as kept in `billing.billed_services`. */
export interface BilledService {
  claimId: string;
  code: string;
  slot: BilledSlot;
  /** The period's first day (RPM codes) or the visit id (E/M); unique per slot and patient. */
  serviceKey: string;
  periodFrom: string;
  periodTo: string;
}

// [PostgreSQL SQLSTATE 23505: unique_violation]
const UNIQUE_VIOLATION = '23505';

const SLOTS: Record<string, BilledSlot> = {
  '99453': 'setup',
  '99454': 'supply',
  '99445': 'supply',
  '99457': 'tm',
  '99470': 'tm',
  '99458': 'tm-add',
};

/**
 * The slot and key a suggestion occupies: device supply and set-up once per patient per
 * 30-day period (99454 and 99445 never both), treatment management once per calendar month
 * (99457 and 99470 never both; 99458 once), an E/M visit once per visit.
 */
export function billedSlotOf(
  s: Pick<CodeSuggestion, 'code' | 'period' | 'sources'>,
): Pick<BilledService, 'slot' | 'serviceKey'> {
  const slot = SLOTS[s.code] ?? 'em';
  const serviceKey =
    slot === 'em' ? (s.sources?.[0] ?? `${s.code}@${s.period.from}`) : s.period.from;

  return { slot, serviceKey };
}

/**
 * Records what a claim bills, inside the claim's transaction. A service another live claim
 * already bills fails with `ALREADY_BILLED` (the unique index decides, so two concurrent
 * submissions cannot both pass) and the caller's transaction rolls back.
 */
export async function recordBilledServices(
  tx: Queryable,
  claim: { id: string; patientId: string },
  suggestions: readonly CodeSuggestion[],
  now: Date,
): Promise<void> {
  for (const s of suggestions) {
    const { slot, serviceKey } = billedSlotOf(s);
    try {
      await tx.query(
        `insert into billing.billed_services (claim_id, patient_id, code, slot, service_key,
           period_from, period_to, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [claim.id, claim.patientId, s.code, slot, serviceKey, s.period.from, s.period.to, now],
      );
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new BillingError(
          'ALREADY_BILLED',
          `${s.code} for ${s.period.from} to ${s.period.to} is already on another claim`,
          [],
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Frees the services of a denied or reversed claim, so a corrected claim may bill them. */
export async function releaseBilledServices(
  tx: Queryable,
  claimId: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `update billing.billed_services set released_at = $2
      where claim_id = $1 and released_at is null`,
    [claimId, now],
  );
}

/** Services still held by a claim of one patient whose period touches `from`..`to`. */
export async function listBilledServices(
  db: Queryable,
  patientId: string,
  from: string,
  to: string,
): Promise<BilledService[]> {
  const { rows } = await db.query<{
    claim_id: string;
    code: string;
    slot: BilledSlot;
    service_key: string;
    period_from: string;
    period_to: string;
  }>(
    `select claim_id, code, slot, service_key, period_from::text, period_to::text
       from billing.billed_services
      where patient_id = $1 and released_at is null and period_to >= $2 and period_from <= $3`,
    [patientId, from, to],
  );

  return rows.map((r) => ({
    claimId: r.claim_id,
    code: r.code,
    slot: r.slot,
    serviceKey: r.service_key,
    periodFrom: r.period_from,
    periodTo: r.period_to,
  }));
}

/**
 * Marks the suggestions a live claim already bills as `billed`, saying which claim in the
 * explanation and in a note, so they are never put on a second claim.
 */
export function markBilled(result: CodingResult, billed: readonly BilledService[]): CodingResult {
  const notes = [...result.notes];
  const suggestions = result.suggestions.map((s) => {
    const { slot, serviceKey } = billedSlotOf(s);
    const held = billed.find((b) => b.slot === slot && b.serviceKey === serviceKey);
    if (held === undefined) {
      return s;
    }
    const why = `already billed as ${held.code} on claim ${held.claimId} for ${held.periodFrom} to ${held.periodTo}`;
    notes.push(`${s.code} for ${s.period.from} to ${s.period.to} not billable: ${why}`);

    return { ...s, status: 'billed' as const, explanation: `${s.explanation}; ${why}` };
  });

  return { suggestions, notes };
}
