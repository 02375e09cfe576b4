import { X12Error } from '../errors.js';
import type { X12Delimiters, X12Segment } from './segment.js';

/**
 * Walks the segments of one transaction set, reading typed elements and throwing an
 * {@link X12Error} that names the segment id, index and element when one is wrong.
 */
export class SegmentCursor {
  readonly #segments: readonly X12Segment[];
  readonly #d: X12Delimiters;
  #at = 0;

  constructor(segments: readonly X12Segment[], delimiters: X12Delimiters) {
    this.#segments = segments;
    this.#d = delimiters;
  }

  /** The next segment's id, without consuming it. */
  peek(): string | undefined {
    return this.#segments[this.#at]?.id;
  }

  /** Whether the next segment is one of `ids`. */
  at(...ids: string[]): boolean {
    const id = this.peek();

    return id !== undefined && ids.includes(id);
  }

  /** Consumes the next segment, whatever it is. */
  next(): X12Segment | undefined {
    const seg = this.#segments[this.#at];
    if (seg !== undefined) {
      this.#at++;
    }

    return seg;
  }

  /** Consumes the next segment, which must be `id`. */
  expect(id: string): X12Segment {
    const seg = this.#segments[this.#at];
    if (seg === undefined) {
      const last = this.#segments[this.#segments.length - 1];
      throw new X12Error(
        'MISSING_SEGMENT',
        { segmentId: id, segmentIndex: (last?.index ?? 0) + 1 },
        `expected ${id}, found the end of the set`,
      );
    }
    if (seg.id !== id) {
      throw new X12Error(
        'UNEXPECTED_SEGMENT',
        { segmentId: seg.id, segmentIndex: seg.index },
        `expected ${id}`,
      );
    }
    this.#at++;

    return seg;
  }

  /** Consumes the next segment when it is `id`. */
  optional(id: string): X12Segment | undefined {
    return this.peek() === id ? this.expect(id) : undefined;
  }

  /** Skips segments until one of `ids` (or the end). */
  skipUntil(...ids: string[]): void {
    while (this.peek() !== undefined && !this.at(...ids)) {
      this.#at++;
    }
  }

  /** The components of a composite element. */
  components(seg: X12Segment, n: number): string[] {
    return (seg.elements[n] ?? '').split(this.#d.component);
  }
}

/** Element `n` of `seg`, or an {@link X12Error} when it is empty. */
export function required(seg: X12Segment, n: number): string {
  const value = seg.elements[n];
  if (value === undefined || value === '') {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: seg.id, segmentIndex: seg.index, element: n },
      'required element is empty',
    );
  }

  return value;
}

/** Element `n` of `seg`, or undefined when empty. */
export function optionalElement(seg: X12Segment, n: number): string | undefined {
  const value = seg.elements[n];

  return value === undefined || value === '' ? undefined : value;
}

/** Element `n` as an amount in cents [X12 R type: decimal, optional sign]. */
export function amountCents(seg: X12Segment, n: number, isRequired = true): number {
  const value = isRequired ? required(seg, n) : optionalElement(seg, n);
  if (value === undefined) {
    return 0;
  }
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(value)) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: seg.id, segmentIndex: seg.index, element: n },
      'not a decimal amount',
    );
  }

  return Math.round(Number(value) * 100);
}

/** Element `n` as a `YYYY-MM-DD` day from X12 `CCYYMMDD`. */
export function dayElement(seg: X12Segment, n: number): string {
  const value = required(seg, n);
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (m === null) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: seg.id, segmentIndex: seg.index, element: n },
      'not a CCYYMMDD date',
    );
  }

  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Element `n`, which must be one of `allowed`. */
export function codeElement<T extends string>(
  seg: X12Segment,
  n: number,
  allowed: readonly T[],
): T {
  const value = required(seg, n);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new X12Error(
      'BAD_ELEMENT',
      { segmentId: seg.id, segmentIndex: seg.index, element: n },
      `unexpected code ${value}`,
    );
  }

  return value as T;
}
