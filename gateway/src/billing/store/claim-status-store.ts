import type { Database } from '@sparkden/alerting';

import type { ClaimStatus, ClaimStatusAnswer } from '../x12/claim-status.js';
import { releaseBilledServices } from './billed-services.js';
import type { ClaimStatusName } from './rows.js';

/** What applying a 277 did to one claim. */
export interface AppliedStatus {
  claimId: string;
  previousStatus: ClaimStatusName;
  status: ClaimStatusName;
  /** The STC category and code pairs recorded in the claim's history. */
  recorded: string[];
}

/** The outcome of {@link applyClaimStatus}: claims moved, and answers naming no claim of ours. */
export interface ClaimStatusSummary {
  applied: AppliedStatus[];
  unmatched: { traceNumber?: string; claimId?: string }[];
}

/** One entry of a claim's status history. */
export interface ClaimStatusEntry {
  source: string;
  category: string;
  code: string;
  entity?: string;
  date?: string;
  previousStatus: ClaimStatusName;
  status: ClaimStatusName;
  recordedAt: string;
}

// [X12 277 005010X212 STC01-1, claim status category codes] F1 finalized/payment;
// F2 finalized/denial and F4 finalized/adjudication complete, no payment forthcoming, are
// denials. F1 is `paid`: a 277 carries no service lines, and `partially-paid` means a line
// was denied (see statusAfterRemittance), which only an 835 can tell. Acknowledgements
// (A*), pending (P*) and F3 (revised) keep the claim where it is, recorded in history.
function statusAfter(current: ClaimStatusName, stc: ClaimStatus): ClaimStatusName {
  switch (stc.category) {
    case 'F1':
      return 'paid';
    case 'F2':
    case 'F4':
      return 'denied';
    default:
      return current;
  }
}

/**
 * Applies a parsed 277 to the claims it names (REF*EJ, our claim id): every STC goes into
 * `billing.claim_status_history`, a finalized one moves the claim's status unless an 835
 * already adjudicated it, a denial (F2, F4) opens a worklist item and frees the claim's
 * billed services, and REF*1K sets the payer's claim number. One transaction: a failure
 * applies nothing.
 *
 * @example
 * ```ts
 * const summary = await applyClaimStatus(db, parse277(text), new Date());
 * ```
 */
export async function applyClaimStatus(
  db: Database,
  answers: readonly ClaimStatusAnswer[],
  now: Date,
): Promise<ClaimStatusSummary> {
  const summary: ClaimStatusSummary = { applied: [], unmatched: [] };

  await db.transaction(async (tx) => {
    for (const answer of answers) {
      const { rows } = await tx.query<{ status: ClaimStatusName }>(
        'select status from billing.claims where id = $1 for update',
        [answer.claimId ?? null],
      );
      const row = rows[0];
      if (answer.claimId === undefined || row === undefined) {
        summary.unmatched.push({ traceNumber: answer.traceNumber, claimId: answer.claimId });
        continue;
      }
      // An 835 is the payer's adjudication; a later 277 is only recorded, never moves it.
      const remitted = await tx.query('select 1 from billing.payments where claim_id = $1', [
        answer.claimId,
      ]);
      const settled = remitted.rows.length > 0;
      let status = row.status;
      const recorded: string[] = [];
      for (const stc of answer.statuses) {
        const next = settled ? status : statusAfter(status, stc);
        await tx.query(
          `insert into billing.claim_status_history (claim_id, source, category, code, entity,
             status_date, previous_status, new_status, recorded_at)
           values ($1, '277', $2, $3, $4, $5, $6, $7, $8)`,
          [
            answer.claimId,
            stc.category,
            stc.code,
            stc.entity ?? null,
            stc.date ?? null,
            status,
            next,
            now,
          ],
        );
        recorded.push(`${stc.category}:${stc.code}`);
        status = next;
      }
      await tx.query(
        `update billing.claims set status = $2, updated_at = $3,
           payer_claim_number = coalesce($4, payer_claim_number) where id = $1`,
        [answer.claimId, status, now, answer.payerClaimNumber ?? null],
      );
      if (status === 'denied' && row.status !== 'denied') {
        await releaseBilledServices(tx, answer.claimId, now);
        await tx.query(
          `insert into billing.worklist (kind, claim_id, reason, details, created_at)
           values ('denial', $1, $2, $3, $4)`,
          [
            answer.claimId,
            `denial of claim ${answer.claimId} reported by a 277: ${recorded.join(', ')}`,
            JSON.stringify({ source: '277', statuses: answer.statuses }),
            now,
          ],
        );
      }
      summary.applied.push({
        claimId: answer.claimId,
        previousStatus: row.status,
        status,
        recorded,
      });
    }
  });

  return summary;
}

/** A claim's status history, oldest first. */
export async function listClaimStatus(db: Database, claimId: string): Promise<ClaimStatusEntry[]> {
  const { rows } = await db.query<{
    source: string;
    category: string;
    code: string;
    entity: string | null;
    status_date: Date | string | null;
    previous_status: ClaimStatusName;
    new_status: ClaimStatusName;
    recorded_at: Date | string;
  }>('select * from billing.claim_status_history where claim_id = $1 order by id', [claimId]);

  return rows.map((r) => ({
    source: r.source,
    category: r.category,
    code: r.code,
    ...(r.entity === null ? {} : { entity: r.entity }),
    ...(r.status_date === null ? {} : { date: isoDay(r.status_date) }),
    previousStatus: r.previous_status,
    status: r.new_status,
    recordedAt: new Date(r.recorded_at).toISOString(),
  }));
}

const isoDay = (v: Date | string) =>
  v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
