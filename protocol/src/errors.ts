/** Codes an {@link ObservationError} carries. */
export type ObservationErrorCode = 'INVALID';

/**
 * A reading or message that does not match the contract. The message names the field
 * (`observations[3].value: …`); callers branch on `code`.
 */
export class ObservationError extends Error {
  readonly code: ObservationErrorCode;
  /** Each failing field as a dotted path with its reason. */
  readonly issues: readonly string[];

  constructor(code: ObservationErrorCode, issues: readonly string[], options?: ErrorOptions) {
    super(issues.join('; '), options);
    this.name = 'ObservationError';
    this.code = code;
    this.issues = issues;
  }
}

/** Codes an {@link EnvelopeError} carries. */
export type EnvelopeErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'BAD_HEADER'
  | 'UNKNOWN_KEY'
  | 'HEADER_MISMATCH'
  | 'AUTH_FAILED'
  | 'BAD_BODY';

/** A sealed frame that cannot be opened. Never carries plaintext. */
export class EnvelopeError extends Error {
  readonly code: EnvelopeErrorCode;

  constructor(code: EnvelopeErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}
