import { X12Error } from '../errors.js';
import type { X12Delimiters, X12Segment } from './segment.js';

/** One ST…SE transaction set. */
export interface X12TransactionSet {
  /** ST01: `835`, `271`, `277`, `837`. */
  code: string;
  controlNumber: string;
  /** ST03 implementation guide, when sent. */
  version?: string;
  /** The segments between ST and SE, exclusive. */
  segments: X12Segment[];
  st: X12Segment;
}

/** One GS…GE functional group. */
export interface X12Group {
  functionalId: string;
  controlNumber: string;
  version: string;
  transactions: X12TransactionSet[];
}

/** A whole ISA…IEA interchange, checked for envelope counts and control numbers. */
export interface X12Interchange {
  delimiters: X12Delimiters;
  sender: string;
  receiver: string;
  controlNumber: string;
  usage: string;
  groups: X12Group[];
}

const ISA_LENGTH = 106;

function delimitersOf(text: string): X12Delimiters {
  // [X12.5 ISA: fixed length; element separator is character 4, component separator is ISA16]
  if (!text.startsWith('ISA') || text.length < ISA_LENGTH) {
    throw new X12Error(
      'BAD_ENVELOPE',
      { segmentId: 'ISA', segmentIndex: 1 },
      'interchange must start with a 106-character ISA segment',
    );
  }
  const element = text[3] ?? '*';
  const isa = text.slice(0, ISA_LENGTH).split(element);
  if (isa.length !== 17) {
    throw new X12Error(
      'BAD_ENVELOPE',
      { segmentId: 'ISA', segmentIndex: 1 },
      `expected 16 elements, found ${isa.length - 1}`,
    );
  }

  return {
    element,
    component: text[ISA_LENGTH - 2] ?? ':',
    repetition: isa[11] === 'U' ? '^' : (isa[11] ?? '^'),
    segment: text[ISA_LENGTH - 1] ?? '~',
  };
}

/** Splits raw X12 into segments (line breaks after terminators are tolerated). */
export function splitSegments(text: string, d: X12Delimiters): X12Segment[] {
  return text
    .split(d.segment)
    .map((raw) => raw.replace(/^[\r\n]+|[\r\n]+$/g, ''))
    .filter((raw) => raw.length > 0)
    .map((raw, i) => {
      const elements = raw.split(d.element);

      return { id: elements[0] ?? '', elements, index: i + 1 };
    });
}

function fail(seg: X12Segment, element: number | undefined, reason: string): never {
  throw new X12Error(
    'BAD_ENVELOPE',
    { segmentId: seg.id, segmentIndex: seg.index, element },
    reason,
  );
}

function checkTrailer(
  seg: X12Segment | undefined,
  id: string,
  count: number,
  control: string,
  last: X12Segment,
) {
  if (seg === undefined || seg.id !== id) {
    throw new X12Error(
      'MISSING_SEGMENT',
      { segmentId: id, segmentIndex: (seg ?? last).index },
      `expected ${id}`,
    );
  }
  if (Number(seg.elements[1]) !== count) {
    throw new X12Error(
      'COUNT_MISMATCH',
      { segmentId: id, segmentIndex: seg.index, element: 1 },
      `says ${seg.elements[1]}, counted ${count}`,
    );
  }
  if (seg.elements[2] !== control) {
    fail(seg, 2, `control number ${seg.elements[2]} does not match ${control}`);
  }
}

/**
 * Reads an ISA…IEA interchange into groups and transaction sets, checking the envelope:
 * segment counts (SE01), group and set counts (GE01, IEA01) and matching control numbers.
 * Throws an {@link X12Error} naming the segment id, its index and the element.
 *
 * @example
 * ```ts
 * const interchange = readInterchange(text);
 * const remit = interchange.groups[0].transactions[0]; // ST*835
 * ```
 */
export function readInterchange(text: string): X12Interchange {
  const trimmed = text.replace(/^\s+/, '');
  const d = delimitersOf(trimmed);
  const segs = splitSegments(trimmed, d);

  const isa = segs[0];
  const groups: X12Group[] = [];
  let i = 1;
  while (segs[i]?.id === 'GS') {
    const gs = segs[i];
    i++;
    const transactions: X12TransactionSet[] = [];
    while (segs[i]?.id === 'ST') {
      const st = segs[i];
      const start = i;
      i++;
      while (i < segs.length && segs[i].id !== 'SE' && segs[i].id !== 'ST' && segs[i].id !== 'GE') {
        i++;
      }
      checkTrailer(segs[i], 'SE', i - start + 1, st.elements[2] ?? '', segs[i - 1]);
      transactions.push({
        code: st.elements[1] ?? '',
        controlNumber: st.elements[2] ?? '',
        version: st.elements[3],
        segments: segs.slice(start + 1, i),
        st,
      });
      i++;
    }
    checkTrailer(segs[i], 'GE', transactions.length, gs.elements[6] ?? '', segs[i - 1]);
    i++;
    groups.push({
      functionalId: gs.elements[1] ?? '',
      controlNumber: gs.elements[6] ?? '',
      version: gs.elements[8] ?? '',
      transactions,
    });
  }
  const iea = segs[i];
  if (iea !== undefined && iea.id !== 'IEA') {
    throw new X12Error(
      'UNEXPECTED_SEGMENT',
      { segmentId: iea.id, segmentIndex: iea.index },
      'expected GS or IEA',
    );
  }
  checkTrailer(iea, 'IEA', groups.length, isa.elements[13] ?? '', segs[i - 1] ?? isa);
  if (i + 1 < segs.length) {
    const extra = segs[i + 1];
    throw new X12Error(
      'UNEXPECTED_SEGMENT',
      { segmentId: extra.id, segmentIndex: extra.index },
      'data after IEA',
    );
  }

  return {
    delimiters: d,
    sender: (isa.elements[6] ?? '').trim(),
    receiver: (isa.elements[8] ?? '').trim(),
    controlNumber: isa.elements[13] ?? '',
    usage: isa.elements[15] ?? '',
    groups,
  };
}

/**
 * Every transaction set of an interchange, across all its GS groups, in order. Each must be
 * an `code` set: none at all, or one of another kind, is an {@link X12Error} naming the ST.
 *
 * @example
 * ```ts
 * for (const set of transactionSets(readInterchange(text), '835')) read(set);
 * ```
 */
export function transactionSets(interchange: X12Interchange, code: string): X12TransactionSet[] {
  const sets = interchange.groups.flatMap((g) => g.transactions);
  if (sets.length === 0) {
    throw new X12Error(
      'MISSING_SEGMENT',
      { segmentId: 'ST', segmentIndex: 3 },
      `no ${code} transaction set`,
    );
  }

  const other = sets.find((s) => s.code !== code);
  if (other !== undefined) {
    throw new X12Error(
      'UNEXPECTED_SEGMENT',
      { segmentId: 'ST', segmentIndex: other.st.index, element: 1 },
      `expected a ${code} transaction set`,
    );
  }

  return sets;
}

/**
 * The one `code` set of an interchange. A reader that answers one result per file calls
 * this, so a second set (in the same or another GS group) is refused, naming its ST,
 * instead of being silently dropped.
 */
export function singleTransactionSet(interchange: X12Interchange, code: string): X12TransactionSet {
  const [set, second] = transactionSets(interchange, code);
  if (second !== undefined) {
    throw new X12Error(
      'UNEXPECTED_SEGMENT',
      { segmentId: 'ST', segmentIndex: second.st.index },
      `only one ${code} transaction set per interchange is read`,
    );
  }

  return set;
}
