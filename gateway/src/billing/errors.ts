/** Codes a {@link BillingError} carries. */
export type BillingErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_INPUT'
  | 'SCRUB_FAILED'
  | 'NOT_FOUND'
  | 'DUPLICATE_REMITTANCE'
  | 'POSTING_MISMATCH'
  | 'ALREADY_BILLED'
  | 'CONTROL_NUMBERS_EXHAUSTED';

/**
 * A billing failure callers can branch on by `code`. `issues` lists each failing field as a
 * dotted path with its reason (`patient.memberId: missing`). Never carries PHI values.
 */
export class BillingError extends Error {
  readonly code: BillingErrorCode;
  readonly issues: readonly string[];

  constructor(
    code: BillingErrorCode,
    message: string,
    issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(
      issues.length > 0 ? `${code}: ${message}: ${issues.join('; ')}` : `${code}: ${message}`,
      options,
    );
    this.name = 'BillingError';
    this.code = code;
    this.issues = issues;
  }
}

/** Codes an {@link X12Error} carries. */
export type X12ErrorCode =
  | 'BAD_ENVELOPE'
  | 'UNEXPECTED_SEGMENT'
  | 'MISSING_SEGMENT'
  | 'BAD_ELEMENT'
  | 'COUNT_MISMATCH'
  | 'UNBALANCED';

/** Where in an interchange an {@link X12Error} was found. */
export interface X12Position {
  /** The segment id (`CLP`, `EB`, `ISA`). */
  segmentId: string;
  /** 1-based index of the segment in the interchange (ISA is 1). */
  segmentIndex: number;
  /** 1-based element position inside the segment (`CLP04` is 4), when one is to blame. */
  element?: number;
}

/**
 * X12 that cannot be read. The message and `position` name the segment id, its index in the
 * interchange and the element, as in `CLP04 (segment 12): not a decimal amount`. The message
 * never quotes an element's value, which may be PHI.
 */
export class X12Error extends Error {
  readonly code: X12ErrorCode;
  readonly position: X12Position;

  constructor(code: X12ErrorCode, position: X12Position, reason: string, options?: ErrorOptions) {
    const element = position.element === undefined ? '' : String(position.element).padStart(2, '0');
    super(
      `${code}: ${position.segmentId}${element} (segment ${position.segmentIndex}): ${reason}`,
      options,
    );
    this.name = 'X12Error';
    this.code = code;
    this.position = position;
  }
}
