/** The four separators of an interchange, read from (or written into) its ISA segment. */
export interface X12Delimiters {
  element: string;
  component: string;
  repetition: string;
  segment: string;
}

/** The separators Spark Den writes: `*`, `:`, `^`, `~`. */
export const DEFAULT_DELIMITERS: X12Delimiters = {
  element: '*',
  component: ':',
  repetition: '^',
  segment: '~',
};

/** One element to write: a simple value, a composite (components), or empty. */
export type ElementValue = string | readonly string[] | undefined;

/** A segment read from an interchange. `elements[1]` is the first element (`CLP01`). */
export interface X12Segment {
  id: string;
  /** Elements by X12 position; index 0 is the segment id. Composites stay joined. */
  elements: string[];
  /** 1-based index of the segment in the interchange. */
  index: number;
}

/** A segment to write: its id and its elements, in order, from position 1. */
export interface SegmentSpec {
  id: string;
  elements: ElementValue[];
}

function checkValue(value: string, where: string, d: X12Delimiters): void {
  for (const c of [d.element, d.component, d.repetition, d.segment]) {
    if (value.includes(c)) {
      throw new TypeError(`${where}: value contains the delimiter "${c}"`);
    }
  }
}

/**
 * Writes one segment, dropping trailing empty elements and components
 * [X12.6: trailing separators are not transmitted].
 *
 * @example
 * ```ts
 * writeSegment({ id: 'SV1', elements: [['HC', '99454'], '52.00', 'UN', '1'] });
 * // 'SV1*HC:99454*52.00*UN*1~'
 * ```
 */
export function writeSegment(spec: SegmentSpec, d: X12Delimiters = DEFAULT_DELIMITERS): string {
  const parts = spec.elements.map((value, i) => {
    const where = `${spec.id}${String(i + 1).padStart(2, '0')}`;
    if (value === undefined) {
      return '';
    }
    if (typeof value === 'string') {
      checkValue(value, where, d);

      return value;
    }
    const comps = [...value];
    while (comps.length > 0 && (comps[comps.length - 1] ?? '') === '') {
      comps.pop();
    }
    comps.forEach((c) => checkValue(c, where, d));

    return comps.join(d.component);
  });
  while (parts.length > 0 && parts[parts.length - 1] === '') {
    parts.pop();
  }

  return [spec.id, ...parts].join(d.element) + d.segment;
}

/** Upper-cases and strips a free-text value to the X12 basic character set. */
export function toX12Text(value: string, max = 60): string {
  return value
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/[*:^~]/g, ' ')
    .toUpperCase()
    .trim()
    .slice(0, max);
}

/** Formats an amount as X12 R (decimal, no trailing zeros past cents, no thousands). */
export function toX12Amount(cents: number): string {
  const negative = cents < 0;
  const abs = Math.abs(Math.round(cents));
  const whole = Math.floor(abs / 100);
  const frac = abs % 100;
  const text =
    frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}`;

  return negative ? `-${text}` : text;
}
