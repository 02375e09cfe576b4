import type { Queryable } from '@sparkden/alerting';

import { BillingError } from '../errors.js';
import type { Adjustment, RemitClaim, Remittance } from '../x12/remit-835.js';
import { releaseBilledServices } from './billed-services.js';
import type { ClaimStatusName } from './rows.js';

/** What posting one 835 did (every transaction set of the file, in one transaction). */
export interface PostingSummary {
  /** The first set's remittance; `remittances` lists every set's. */
  remittanceId: number;
  traceNumber: string;
  /** The payments of every set, summed. */
  paymentCents: number;
  remittances: { remittanceId: number; traceNumber: string; paymentCents: number }[];
  posted: { claimId: string; status: ClaimStatusName; paidCents: number }[];
  /** Worklist items opened (denials, partial payments, reversals, unmatched claims). */
  worklist: number;
}

const DENIED = '4';
const REVERSAL = '22';
// [X12 835 CLP02: 1, 2, 3 processed as primary, secondary, tertiary; 19, 20, 21 the same
// and forwarded to the next payer]
const PROCESSED = ['1', '2', '3', '19', '20', '21'];

function allAdjustments(claim: RemitClaim): (Adjustment & { lineRef?: string; code?: string })[] {
  return [
    ...claim.adjustments,
    ...claim.lines.flatMap((l) =>
      l.adjustments.map((a) => ({ ...a, lineRef: l.lineRef, code: l.code })),
    ),
  ];
}

function carcList(claim: RemitClaim): string[] {
  return [...new Set(allAdjustments(claim).map((a) => `${a.group}-${a.reason}`))];
}

const patientShare = (adjustments: readonly Adjustment[]) =>
  adjustments.filter((a) => a.group === 'PR').reduce((s, a) => s + a.amountCents, 0);

/**
 * A claim's status after one CLP. `partially-paid` has one meaning across 835 and 277: the
 * payer adjudicated the claim and denied at least one service line (a line that paid
 * nothing and left nothing to the patient). A claim the payer processed (CLP02 1-3,
 * 19-21) that paid nothing because the amount is the patient's (deductible PR-1,
 * coinsurance PR-2) is `paid`: adjudicated, nothing denied, the balance the patient's.
 */
export function statusAfterRemittance(claim: RemitClaim): ClaimStatusName {
  if (claim.status === REVERSAL) {
    return 'reversed';
  }
  if (claim.status === DENIED) {
    return 'denied';
  }
  const patientOwes = patientShare(allAdjustments(claim)) > 0;
  if (claim.paidCents === 0) {
    return PROCESSED.includes(claim.status) && patientOwes ? 'paid' : 'denied';
  }
  const lineDenied = claim.lines.some(
    (l) => l.paidCents === 0 && l.chargeCents > 0 && patientShare(l.adjustments) === 0,
  );

  return lineDenied ? 'partially-paid' : 'paid';
}

async function openItem(
  tx: Queryable,
  item: {
    kind: string;
    claimId?: string;
    remittanceId: number;
    reason: string;
    details: object;
    now: Date;
  },
): Promise<void> {
  await tx.query(
    `insert into billing.worklist (kind, claim_id, remittance_id, reason, details, created_at)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      item.kind,
      item.claimId ?? null,
      item.remittanceId,
      item.reason,
      JSON.stringify(item.details),
      item.now,
    ],
  );
}

async function postClaim(tx: Queryable, remittanceId: number, claim: RemitClaim, now: Date) {
  const found = await tx.query<{ total_cents: number }>(
    'select total_cents from billing.claims where id = $1 for update',
    [claim.claimId],
  );
  const ours = found.rows[0];
  if (ours === undefined) {
    await openItem(tx, {
      kind: 'unmatched',
      remittanceId,
      reason: `CLP01 ${claim.claimId} matches no claim`,
      details: { segmentIndex: claim.segmentIndex, paidCents: claim.paidCents },
      now,
    });

    return undefined;
  }
  // A charge that differs from ours means the payer adjudicated another version of the
  // claim; posting it would corrupt the balance, so the whole remittance is refused.
  if (claim.status !== REVERSAL && Math.abs(claim.chargeCents) !== ours.total_cents) {
    throw new BillingError(
      'POSTING_MISMATCH',
      `CLP03 of claim ${claim.claimId} (segment ${claim.segmentIndex}) is ${claim.chargeCents / 100}, the claim totals ${ours.total_cents / 100}`,
    );
  }

  const payment = await tx.query<{ id: number }>(
    `insert into billing.payments (remittance_id, claim_id, claim_status, charge_cents, paid_cents,
       patient_responsibility_cents, payer_claim_number)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [
      remittanceId,
      claim.claimId,
      claim.status,
      claim.chargeCents,
      claim.paidCents,
      claim.patientResponsibilityCents,
      claim.payerClaimNumber ?? null,
    ],
  );
  const paymentId = payment.rows[0].id;
  for (const a of allAdjustments(claim)) {
    await tx.query(
      `insert into billing.adjustments (payment_id, line_ref, procedure_code, group_code, reason_code, amount_cents)
       values ($1, $2, $3, $4, $5, $6)`,
      [paymentId, a.lineRef ?? null, a.code ?? null, a.group, a.reason, a.amountCents],
    );
  }
  for (const l of claim.lines) {
    await tx.query(
      `insert into billing.payment_lines (payment_id, line_ref, procedure_code, charge_cents,
         paid_cents, units) values ($1, $2, $3, $4, $5, $6)`,
      [paymentId, l.lineRef ?? null, l.code, l.chargeCents, l.paidCents, l.units],
    );
  }
  const status = statusAfterRemittance(claim);
  if (status === 'denied' || status === 'reversed') {
    await releaseBilledServices(tx, claim.claimId, now);
  }
  await tx.query(
    `update billing.claims set status = $2, paid_cents = paid_cents + $3,
       patient_responsibility_cents = patient_responsibility_cents + $4,
       payer_claim_number = coalesce($5, payer_claim_number), updated_at = $6
     where id = $1`,
    [
      claim.claimId,
      status,
      claim.paidCents,
      claim.patientResponsibilityCents,
      claim.payerClaimNumber ?? null,
      now,
    ],
  );
  if (status !== 'paid') {
    const kind = status === 'denied' ? 'denial' : status === 'reversed' ? 'reversal' : 'partial';
    await openItem(tx, {
      kind,
      claimId: claim.claimId,
      remittanceId,
      reason: `${kind} of claim ${claim.claimId}: ${carcList(claim).join(', ') || 'no adjustment codes'}`,
      details: {
        claimStatus: claim.status,
        paidCents: claim.paidCents,
        adjustments: allAdjustments(claim),
        remarks: claim.lines.flatMap((l) => l.remarks),
      },
      now,
    });
  }

  return { claimId: claim.claimId, status, paidCents: claim.paidCents, opened: status !== 'paid' };
}

async function postOne(tx: Queryable, remit: Remittance, raw: string, now: Date) {
  const existing = await tx.query(
    'select id from billing.remittances where payer_tin = $1 and trace_number = $2',
    [remit.payerTin, remit.traceNumber],
  );
  if (existing.rows.length > 0) {
    throw new BillingError(
      'DUPLICATE_REMITTANCE',
      `remittance ${remit.traceNumber} from ${remit.payerTin} is already posted`,
    );
  }

  const inserted = await tx.query<{ id: number }>(
    `insert into billing.remittances (trace_number, payer_tin, payment_cents, payment_date, received_at, raw)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [remit.traceNumber, remit.payerTin, remit.paymentCents, remit.paymentDate, now, raw],
  );
  const remittanceId = Number(inserted.rows[0].id);
  const posted: PostingSummary['posted'] = [];
  let worklist = 0;
  for (const claim of remit.claims) {
    const result = await postClaim(tx, remittanceId, claim, now);
    if (result === undefined) {
      worklist++;
      continue;
    }
    posted.push({ claimId: result.claimId, status: result.status, paidCents: result.paidCents });
    worklist += result.opened ? 1 : 0;
  }

  return { remittanceId, posted, worklist };
}

/**
 * Posts parsed 835 sets (one file may carry several, in one or more GS groups) inside the
 * caller's transaction: records each remittance (once per payer and trace number), a
 * payment with its CAS adjustments and paid lines per claim, updates each claim's status
 * and balance, frees the billed services of denied and reversed claims, and opens worklist
 * items for denials, partial payments, reversals and claims it cannot match. Any failure
 * rolls everything back: nothing is ever posted half-way.
 *
 * @example
 * ```ts
 * await db.transaction((tx) => postRemittance(tx, parse835Sets(text), text, new Date()));
 * ```
 */
export async function postRemittance(
  tx: Queryable,
  remits: readonly Remittance[],
  raw: string,
  now: Date,
): Promise<PostingSummary> {
  if (remits.length === 0) {
    throw new TypeError('"remits" must hold at least one remittance');
  }

  const summary: PostingSummary = {
    remittanceId: 0,
    traceNumber: remits[0].traceNumber,
    paymentCents: 0,
    remittances: [],
    posted: [],
    worklist: 0,
  };
  for (const remit of remits) {
    const one = await postOne(tx, remit, raw, now);
    summary.remittances.push({
      remittanceId: one.remittanceId,
      traceNumber: remit.traceNumber,
      paymentCents: remit.paymentCents,
    });
    summary.paymentCents += remit.paymentCents;
    summary.posted.push(...one.posted);
    summary.worklist += one.worklist;
  }
  summary.remittanceId = summary.remittances[0].remittanceId;

  return summary;
}
