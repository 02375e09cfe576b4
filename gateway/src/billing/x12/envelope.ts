import { DEFAULT_DELIMITERS, writeSegment, type SegmentSpec } from './segment.js';

/** Control numbers of one interchange, from the persisted sequence. */
export interface ControlNumbers {
  /** ISA13, 1…999999999. */
  interchange: number;
  /** GS06, 1…999999999. */
  group: number;
}

/** Options of {@link writeInterchange}. */
export interface InterchangeOptions {
  /** ISA06/GS02 sender id (≤15 characters). */
  senderId: string;
  /** ISA08/GS03 receiver id (≤15 characters). */
  receiverId: string;
  /** ISA05/ISA07 id qualifier (default `ZZ`, mutually defined). */
  qualifier?: string;
  /** ISA15: `P` production or `T` test. */
  usage: 'P' | 'T';
  control: ControlNumbers;
  /** GS01 functional id: `HC` 837, `HS` 270, `HR` 276. */
  functionalId: string;
  /** GS08/ST03 implementation guide (`005010X222A1`). */
  version: string;
  /** ST01 (`837`, `270`, `276`). */
  transactionCode: string;
  /** The segments between ST and SE. */
  body: SegmentSpec[];
  now: Date;
}

function pad(value: string, width: number): string {
  return value.slice(0, width).padEnd(width, ' ');
}

function checkControl(n: number, name: string): string {
  if (!Number.isInteger(n) || n < 1 || n > 999_999_999) {
    throw new TypeError(`"${name}" must be an integer 1..999999999`);
  }

  return String(n).padStart(9, '0');
}

/**
 * Wraps one transaction set in ST/SE, GS/GE and ISA/IEA envelopes with the given control
 * numbers [X12.5 ISA; X12.6 GS/ST], counting SE01 itself.
 *
 * @example
 * ```ts
 * const x12 = writeInterchange({ senderId: 'SPARKDEN', receiverId: 'PAYER', usage: 'T',
 *   control: { interchange: 17, group: 17 }, functionalId: 'HC', version: '005010X222A1',
 *   transactionCode: '837', body, now: new Date() });
 * ```
 */
export function writeInterchange(options: InterchangeOptions): string {
  const isaControl = checkControl(options.control.interchange, 'control.interchange');
  const gsControl = String(Number(checkControl(options.control.group, 'control.group')));
  for (const [name, id] of [
    ['senderId', options.senderId],
    ['receiverId', options.receiverId],
  ]) {
    if (id === undefined || id.length === 0 || id.length > 15) {
      throw new TypeError(`"${name}" must be 1-15 characters`);
    }
  }

  const iso = options.now.toISOString();
  const ymd = iso.slice(0, 10).replaceAll('-', '');
  const hm = iso.slice(11, 16).replace(':', '');
  const q = options.qualifier ?? 'ZZ';
  const d = DEFAULT_DELIMITERS;
  const stControl = '0001';
  const isa =
    [
      'ISA',
      '00',
      pad('', 10),
      '00',
      pad('', 10),
      q,
      pad(options.senderId, 15),
      q,
      pad(options.receiverId, 15),
      ymd.slice(2),
      hm,
      d.repetition,
      '00501',
      isaControl,
      '0',
      options.usage,
      d.component,
    ].join(d.element) + d.segment;
  const segments: SegmentSpec[] = [
    { id: 'ST', elements: [options.transactionCode, stControl, options.version] },
    ...options.body,
  ];
  segments.push({ id: 'SE', elements: [String(segments.length + 1), stControl] });
  const lines = [
    isa,
    writeSegment({
      id: 'GS',
      elements: [
        options.functionalId,
        options.senderId,
        options.receiverId,
        ymd,
        hm,
        gsControl,
        'X',
        options.version,
      ],
    }),
    ...segments.map((s) => writeSegment(s)),
    writeSegment({ id: 'GE', elements: ['1', gsControl] }),
    writeSegment({ id: 'IEA', elements: ['1', isaControl] }),
  ];

  return lines.join('\n') + '\n';
}
