/** Codes a {@link PkiError} carries. */
export type PkiErrorCode =
  /** The CSR is not a well-formed PKCS#10 request. */
  | 'CSR_INVALID'
  /** The CSR's self-signature does not verify (proof of possession failed). */
  | 'CSR_SIGNATURE'
  /** The CSR's key is not ECDSA P-256 or P-384. */
  | 'KEY_UNSUPPORTED'
  /** A CA certificate and key given to the hub do not belong together, or are not a CA. */
  | 'CA_INVALID';

/** A certificate operation that cannot go ahead. Callers branch on `code`. */
export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'PkiError';
    this.code = code;
  }
}
