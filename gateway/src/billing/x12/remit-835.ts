import { X12Error } from '../errors.js';
import { SegmentCursor, amountCents, dayElement, optionalElement, required } from './cursor.js';
import {
  readInterchange,
  singleTransactionSet,
  transactionSets,
  type X12Interchange,
  type X12TransactionSet,
} from './reader.js';
import type { X12Segment } from './segment.js';

/** CAS adjustment group [X12 835 CAS01]: contractual, patient responsibility, other, payer initiated, correction. */
export type AdjustmentGroup = 'CO' | 'PR' | 'OA' | 'PI' | 'CR';

/** One adjustment: a group, a Claim Adjustment Reason Code (CARC) and an amount. */
export interface Adjustment {
  group: AdjustmentGroup;
  /** CARC, e.g. `45` (charge exceeds fee schedule), `1` (deductible), `2` (coinsurance). */
  reason: string;
  amountCents: number;
  quantity?: number;
}

/** One paid (or denied) service line of a remittance (SVC loop 2110). */
export interface RemitLine {
  code: string;
  modifiers: string[];
  chargeCents: number;
  paidCents: number;
  units: number;
  dateOfService?: string;
  /** REF*6R line item control number, as sent in the 837. */
  lineRef?: string;
  adjustments: Adjustment[];
  /** Remittance Advice Remark Codes (LQ*HE). */
  remarks: string[];
  /** Index of the SVC segment in the interchange, for error messages. */
  segmentIndex: number;
}

/** One claim of a remittance (CLP loop 2100). */
export interface RemitClaim {
  /** CLP01: our patient control number (the claim id). */
  claimId: string;
  /** CLP02: 1, 2, 3 processed; 4 denied; 19-21 forwarded; 22 reversal. */
  status: string;
  chargeCents: number;
  paidCents: number;
  patientResponsibilityCents: number;
  payerClaimNumber?: string;
  adjustments: Adjustment[];
  lines: RemitLine[];
  /** Index of the CLP segment in the interchange, for error messages. */
  segmentIndex: number;
}

/** A provider-level adjustment (PLB), e.g. a recoupment or interest. */
export interface ProviderAdjustment {
  reason: string;
  reference?: string;
  amountCents: number;
}

/** A parsed 835 remittance advice (005010X221A1). */
export interface Remittance {
  interchangeControl: string;
  /** ST02 of the set this remittance came from. */
  transactionControl: string;
  /** TRN02: check or EFT trace number; with the payer, identifies the payment. */
  traceNumber: string;
  /** TRN03 originating company id (the payer). */
  payerTin: string;
  payerName: string;
  /** BPR01: C payment with advice, I advice only, H notification, P prenotification. */
  handling: string;
  paymentCents: number;
  paymentMethod: string;
  paymentDate: string;
  claims: RemitClaim[];
  providerAdjustments: ProviderAdjustment[];
}

const GROUPS: readonly AdjustmentGroup[] = ['CO', 'PR', 'OA', 'PI', 'CR'];

function readCas(seg: X12Segment): Adjustment[] {
  const group = required(seg, 1) as AdjustmentGroup;
  if (!GROUPS.includes(group)) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: 'CAS', segmentIndex: seg.index, element: 1 },
      `unknown adjustment group ${group}`,
    );
  }
  const out: Adjustment[] = [];
  // [X12 835 CAS: up to six reason/amount/quantity triplets, CAS02-CAS19]
  for (let at = 2; at <= 17; at += 3) {
    const reason = optionalElement(seg, at);
    if (reason === undefined) {
      continue;
    }
    const quantity = optionalElement(seg, at + 2);
    out.push({
      group,
      reason,
      amountCents: amountCents(seg, at + 1),
      quantity: quantity === undefined ? undefined : Number(quantity),
    });
  }
  if (out.length === 0) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: 'CAS', segmentIndex: seg.index, element: 2 },
      'no reason code',
    );
  }

  return out;
}

function sum(adjustments: readonly Adjustment[]): number {
  return adjustments.reduce((s, a) => s + a.amountCents, 0);
}

// [X12 835 SVC05 units of service paid: a positive decimal; 1 when absent]
function unitsOf(svc: X12Segment): number {
  const raw = optionalElement(svc, 5);
  if (raw === undefined) {
    return 1;
  }
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(raw) || !(Number(raw) > 0)) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: 'SVC', segmentIndex: svc.index, element: 5 },
      'units must be a positive number',
    );
  }

  return Number(raw);
}

function readLine(c: SegmentCursor, svc: X12Segment): RemitLine {
  const proc = c.components(svc, 1);
  const line: RemitLine = {
    code: proc[1] ?? required(svc, 1),
    modifiers: proc.slice(2).filter((m) => m !== ''),
    chargeCents: amountCents(svc, 2),
    paidCents: amountCents(svc, 3),
    units: unitsOf(svc),
    adjustments: [],
    remarks: [],
    segmentIndex: svc.index,
  };
  while (c.at('DTM', 'CAS', 'REF', 'AMT', 'QTY', 'LQ')) {
    const seg = c.next()!;
    if (seg.id === 'DTM' && ['472', '150'].includes(seg.elements[1] ?? '')) {
      line.dateOfService = dayElement(seg, 2);
    } else if (seg.id === 'CAS') {
      line.adjustments.push(...readCas(seg));
    } else if (seg.id === 'REF' && seg.elements[1] === '6R') {
      line.lineRef = required(seg, 2);
    } else if (seg.id === 'LQ') {
      line.remarks.push(required(seg, 2));
    }
  }
  // [X12 835 balancing: each line's SVC02 - SVC03 = sum of its CAS amounts]
  const adjusted = sum(line.adjustments);
  if (line.chargeCents - line.paidCents !== adjusted) {
    throw new X12Error(
      'UNBALANCED',
      { segmentId: 'SVC', segmentIndex: svc.index, element: 3 },
      `line charge - paid = ${(line.chargeCents - line.paidCents) / 100} but its adjustments total ${adjusted / 100}`,
    );
  }

  return line;
}

function readClaim(c: SegmentCursor, clp: X12Segment): RemitClaim {
  const claim: RemitClaim = {
    claimId: required(clp, 1),
    status: required(clp, 2),
    chargeCents: amountCents(clp, 3),
    paidCents: amountCents(clp, 4),
    patientResponsibilityCents: amountCents(clp, 5, false),
    payerClaimNumber: optionalElement(clp, 7),
    adjustments: [],
    lines: [],
    segmentIndex: clp.index,
  };
  while (c.peek() !== undefined && !c.at('CLP', 'LX', 'PLB', 'SE')) {
    const seg = c.next()!;
    if (seg.id === 'CAS') {
      claim.adjustments.push(...readCas(seg));
    } else if (seg.id === 'SVC') {
      claim.lines.push(readLine(c, seg));
    }
  }
  // [X12 835 balancing: CLP03 - CLP04 = sum of claim and service CAS amounts]
  const adjusted = sum(claim.adjustments) + claim.lines.reduce((s, l) => s + sum(l.adjustments), 0);
  if (claim.status !== '22' && claim.chargeCents - claim.paidCents !== adjusted) {
    throw new X12Error(
      'UNBALANCED',
      { segmentId: 'CLP', segmentIndex: clp.index, element: 4 },
      `charge - paid = ${(claim.chargeCents - claim.paidCents) / 100} but adjustments total ${adjusted / 100}`,
    );
  }

  return claim;
}

function readPlb(seg: X12Segment, c: SegmentCursor): ProviderAdjustment[] {
  const out: ProviderAdjustment[] = [];
  // [X12 835 PLB03-PLB14: up to six reason:reference / amount pairs]
  for (let at = 3; at <= 13; at += 2) {
    if (optionalElement(seg, at) === undefined) {
      continue;
    }
    const [reason, reference] = c.components(seg, at);
    out.push({ reason: reason ?? '', reference, amountCents: amountCents(seg, at + 1) });
  }

  return out;
}

function readRemittance(set: X12TransactionSet, interchange: X12Interchange): Remittance {
  const c = new SegmentCursor(set.segments, interchange.delimiters);
  const bpr = c.expect('BPR');
  const trn = c.expect('TRN');
  let payerName = '';
  const claims: RemitClaim[] = [];
  const plb: ProviderAdjustment[] = [];
  while (c.peek() !== undefined) {
    const seg = c.next()!;
    if (seg.id === 'N1' && seg.elements[1] === 'PR') {
      payerName = required(seg, 2);
    } else if (seg.id === 'CLP') {
      claims.push(readClaim(c, seg));
    } else if (seg.id === 'PLB') {
      plb.push(...readPlb(seg, c));
    }
  }
  const payment = amountCents(bpr, 2);
  // [X12 835 balancing: BPR02 = sum of CLP04 - sum of PLB amounts]
  const expected =
    claims.reduce((s, cl) => s + cl.paidCents, 0) - plb.reduce((s, p) => s + p.amountCents, 0);
  if (payment !== expected) {
    throw new X12Error(
      'UNBALANCED',
      { segmentId: 'BPR', segmentIndex: bpr.index, element: 2 },
      `payment ${payment / 100} but claims less provider adjustments total ${expected / 100}`,
    );
  }

  return {
    interchangeControl: interchange.controlNumber,
    transactionControl: set.controlNumber,
    traceNumber: required(trn, 2),
    payerTin: optionalElement(trn, 3) ?? '',
    payerName,
    handling: required(bpr, 1),
    paymentCents: payment,
    paymentMethod: optionalElement(bpr, 4) ?? '',
    paymentDate: dayElement(bpr, 16),
    claims,
    providerAdjustments: plb,
  };
}

/**
 * Parses every 835 transaction set of an interchange, in every GS group (005010X221A1):
 * one {@link Remittance} per ST…SE. A payer may send several payments in one file; each set
 * is read and checked before any is returned, so one bad set refuses the whole file.
 *
 * @example
 * ```ts
 * for (const remit of parse835Sets(text)) console.log(remit.traceNumber);
 * ```
 */
export function parse835Sets(text: string): Remittance[] {
  const interchange = readInterchange(text);

  return transactionSets(interchange, '835').map((set) => readRemittance(set, interchange));
}

/**
 * Parses an 835 remittance advice (005010X221A1) with exactly one transaction set: the
 * payment (BPR, TRN), each claim (CLP) with its adjustments (CAS group + CARC) and service
 * lines (SVC), and provider-level adjustments (PLB). Checks the balancing rules, so a
 * remittance whose numbers do not add up is rejected before anything is posted. A second
 * set is refused naming its ST (use {@link parse835Sets}). Errors name the segment id,
 * index and element.
 *
 * @example
 * ```ts
 * const remit = parse835(text);
 * for (const claim of remit.claims) console.log(claim.claimId, claim.paidCents);
 * ```
 */
export function parse835(text: string): Remittance {
  const interchange = readInterchange(text);

  return readRemittance(singleTransactionSet(interchange, '835'), interchange);
}
