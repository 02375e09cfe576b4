import { X12Error } from '../errors.js';
import { SegmentCursor, amountCents, dayElement, optionalElement, required } from './cursor.js';
import { readInterchange } from './reader.js';

/** What {@link readClaim837P} finds in an 837P: enough to check a claim against its source. */
export interface Claim837PSummary {
  interchangeControl: string;
  claimId: string;
  totalCents: number;
  placeOfService: string;
  billingNpi: string;
  renderingNpi?: string;
  memberId: string;
  payerId: string;
  diagnoses: string[];
  lines: {
    code: string;
    modifiers: string[];
    chargeCents: number;
    units: number;
    placeOfService?: string;
    diagnosisPointers: number[];
    dateOfService: string;
  }[];
}

/**
 * Reads back the first claim of an 837P interchange (for round-trip checks and for claims
 * received from elsewhere). Throws an X12Error naming the segment and element when the
 * structure is wrong.
 *
 * @example
 * ```ts
 * const summary = readClaim837P(x12);
 * summary.lines[0].code; // '99454'
 * ```
 */
export function readClaim837P(text: string): Claim837PSummary {
  const interchange = readInterchange(text);
  const set = interchange.groups[0]?.transactions[0];
  if (set === undefined || set.code !== '837') {
    throw new X12Error(
      'MISSING_SEGMENT',
      { segmentId: 'ST', segmentIndex: 2 },
      'no 837 transaction set',
    );
  }

  const c = new SegmentCursor(set.segments, interchange.delimiters);
  const nm1 = (qualifier: string) => {
    c.skipUntil('NM1');
    while (c.at('NM1')) {
      const seg = c.next()!;
      if (seg.elements[1] === qualifier) {
        return seg;
      }
      c.skipUntil('NM1');
    }
    throw new X12Error(
      'MISSING_SEGMENT',
      { segmentId: 'NM1', segmentIndex: set.st.index },
      `no NM1*${qualifier}`,
    );
  };
  const billingNpi = required(nm1('85'), 9);
  const memberId = required(nm1('IL'), 9);
  const payerId = required(nm1('PR'), 9);
  c.skipUntil('CLM');
  const clm = c.expect('CLM');
  const claimPos = c.components(clm, 5);
  const hi = c.expect('HI');
  const diagnoses = hi.elements.slice(1).map((_, i) => c.components(hi, i + 1)[1] ?? '');
  let renderingNpi: string | undefined;
  const lines: Claim837PSummary['lines'] = [];
  while (c.peek() !== undefined) {
    const seg = c.next()!;
    if (seg.id === 'NM1' && seg.elements[1] === '82') {
      renderingNpi = required(seg, 9);
    }
    if (seg.id !== 'SV1') {
      continue;
    }
    const proc = c.components(seg, 1);
    const dtp = c.expect('DTP');
    lines.push({
      code: proc[1] ?? '',
      modifiers: proc.slice(2),
      chargeCents: amountCents(seg, 2),
      units: Number(required(seg, 4)),
      placeOfService: optionalElement(seg, 5),
      diagnosisPointers: c.components(seg, 7).map(Number),
      dateOfService: dayElement(dtp, 3),
    });
  }

  return {
    interchangeControl: interchange.controlNumber,
    claimId: required(clm, 1),
    totalCents: amountCents(clm, 2),
    placeOfService: claimPos[0] ?? '',
    billingNpi,
    renderingNpi,
    memberId,
    payerId,
    diagnoses,
    lines,
  };
}
