import { X12Error } from '../errors.js';
import { SegmentCursor, amountCents, dayElement, optionalElement, required } from './cursor.js';
import { writeInterchange, type ControlNumbers } from './envelope.js';
import { readInterchange, transactionSets, type X12TransactionSet } from './reader.js';
import { toX12Amount, toX12Text, type SegmentSpec, type X12Delimiters } from './segment.js';

/** The implementation guide of 276/277. */
export const X212 = '005010X212';

/** Options of {@link build276}. */
export interface ClaimStatusRequest {
  traceNumber: string;
  payer: { payerId: string; name: string };
  submitter: { id: string; name: string };
  provider: { npi: string; name: string };
  subscriber: { memberId: string; lastName: string; firstName: string };
  claim: { id: string; totalCents: number; from: string; to: string; payerClaimNumber?: string };
  senderId: string;
  receiverId: string;
  control: ControlNumbers;
  usage: 'P' | 'T';
  now: Date;
}

const ymd = (day: string) => day.replaceAll('-', '');

/**
 * Builds a 276 claim status request (005010X212) for one claim.
 *
 * @example
 * ```ts
 * const x12 = build276({ traceNumber: 'S1', payer, submitter, provider, subscriber,
 *   claim: { id: 'C1', totalCents: 5200, from: '2026-03-31', to: '2026-03-31' }, ... });
 * ```
 */
export function build276(req: ClaimStatusRequest): string {
  if (!/^[A-Za-z0-9]{1,50}$/.test(req.traceNumber)) {
    throw new TypeError('"traceNumber" must be 1-50 letters or digits');
  }

  const time = req.now.toISOString();
  const s = req.subscriber;
  const body: SegmentSpec[] = [
    {
      id: 'BHT',
      elements: [
        '0010',
        '13',
        req.traceNumber,
        ymd(time.slice(0, 10)),
        time.slice(11, 16).replace(':', ''),
      ],
    },
    { id: 'HL', elements: ['1', undefined, '20', '1'] },
    {
      id: 'NM1',
      elements: [
        'PR',
        '2',
        toX12Text(req.payer.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'PI',
        req.payer.payerId,
      ],
    },
    { id: 'HL', elements: ['2', '1', '21', '1'] },
    {
      id: 'NM1',
      elements: [
        '41',
        '2',
        toX12Text(req.submitter.name),
        undefined,
        undefined,
        undefined,
        undefined,
        '46',
        req.submitter.id,
      ],
    },
    { id: 'HL', elements: ['3', '2', '19', '1'] },
    {
      id: 'NM1',
      elements: [
        '1P',
        '2',
        toX12Text(req.provider.name),
        undefined,
        undefined,
        undefined,
        undefined,
        'XX',
        req.provider.npi,
      ],
    },
    { id: 'HL', elements: ['4', '3', '22', '0'] },
    {
      id: 'NM1',
      elements: [
        'IL',
        '1',
        toX12Text(s.lastName),
        toX12Text(s.firstName, 35),
        undefined,
        undefined,
        undefined,
        'MI',
        s.memberId,
      ],
    },
    { id: 'TRN', elements: ['1', req.traceNumber] },
    ...(req.claim.payerClaimNumber === undefined
      ? []
      : [{ id: 'REF', elements: ['1K', req.claim.payerClaimNumber] }]),
    { id: 'REF', elements: ['EJ', req.claim.id] },
    { id: 'AMT', elements: ['T3', toX12Amount(req.claim.totalCents)] },
    { id: 'DTP', elements: ['472', 'RD8', `${ymd(req.claim.from)}-${ymd(req.claim.to)}`] },
  ];

  return writeInterchange({
    senderId: req.senderId,
    receiverId: req.receiverId,
    usage: req.usage,
    control: req.control,
    functionalId: 'HR',
    version: X212,
    transactionCode: '276',
    body,
    now: req.now,
  });
}

/** One STC status of a claim. */
export interface ClaimStatus {
  /** Claim status category (A1 acknowledged, A2 accepted, A3/A7 rejected, F1 paid, F2 denied, P1 pending…). */
  category: string;
  /** Claim status code (e.g. 20 accepted for processing, 65 paid). */
  code: string;
  entity?: string;
  date?: string;
  chargeCents?: number;
  paidCents?: number;
}

/** The status of one claim in a 277. */
export interface ClaimStatusAnswer {
  traceNumber?: string;
  claimId?: string;
  payerClaimNumber?: string;
  statuses: ClaimStatus[];
}

/**
 * Parses a 277 claim status response (005010X212): per claim, the trace, our claim id
 * (REF*EJ), the payer's claim number (REF*1K) and every STC status.
 *
 * @example
 * ```ts
 * const [answer] = parse277(text);
 * answer.statuses[0].category; // 'F1'
 * ```
 */
export function parse277(text: string): ClaimStatusAnswer[] {
  const interchange = readInterchange(text);
  const out: ClaimStatusAnswer[] = [];
  for (const set of transactionSets(interchange, '277')) {
    out.push(...readClaimStatusSet(set, interchange.delimiters));
  }

  return out;
}

function readClaimStatusSet(set: X12TransactionSet, d: X12Delimiters): ClaimStatusAnswer[] {
  const c = new SegmentCursor(set.segments, d);
  c.expect('BHT');
  const out: ClaimStatusAnswer[] = [];
  let current: ClaimStatusAnswer | undefined;
  while (c.peek() !== undefined) {
    const seg = c.next()!;
    if (seg.id === 'TRN' && seg.elements[1] === '2') {
      current = { traceNumber: required(seg, 2), statuses: [] };
      out.push(current);
    } else if (seg.id === 'STC' && current !== undefined) {
      const [category, code, entity] = c.components(seg, 1);
      if (category === undefined || category === '' || code === undefined) {
        throw new X12Error(
          'BAD_ELEMENT',
          { segmentId: 'STC', segmentIndex: seg.index, element: 1 },
          'status must be category:code',
        );
      }
      current.statuses.push({
        category,
        code,
        entity: entity === '' ? undefined : entity,
        date: optionalElement(seg, 2) === undefined ? undefined : dayElement(seg, 2),
        chargeCents: optionalElement(seg, 4) === undefined ? undefined : amountCents(seg, 4),
        paidCents: optionalElement(seg, 5) === undefined ? undefined : amountCents(seg, 5),
      });
    } else if (seg.id === 'REF' && current !== undefined) {
      if (seg.elements[1] === 'EJ') {
        current.claimId = required(seg, 2);
      } else if (seg.elements[1] === '1K') {
        current.payerClaimNumber = required(seg, 2);
      }
    }
  }

  return out;
}
