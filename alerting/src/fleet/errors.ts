/** Codes a {@link FleetError} carries, each with the HTTP status the fleet routes answer. */
export const FLEET_ERROR_STATUS = {
  /** The enrollment token is unknown (or was never issued). */
  TOKEN_INVALID: 401,
  /** The enrollment token is past its expiry. */
  TOKEN_EXPIRED: 401,
  /** The enrollment token was already used: tokens are one-time. */
  TOKEN_USED: 401,
  /** The request body is malformed; the message names the field. */
  BAD_REQUEST: 400,
  /** The CSR cannot be certified (malformed, bad self-signature, unsupported key). */
  CSR_REJECTED: 400,
  /** No agent with that id. */
  AGENT_NOT_FOUND: 404,
  /** The agent is revoked; nothing more can be done with it. */
  AGENT_REVOKED: 409,
} as const;

/** One code of {@link FLEET_ERROR_STATUS}. */
export type FleetErrorCode = keyof typeof FLEET_ERROR_STATUS;

/** A fleet operation that cannot go ahead. Callers branch on `code`. */
export class FleetError extends Error {
  readonly code: FleetErrorCode;

  constructor(code: FleetErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FleetError';
    this.code = code;
  }

  /** The HTTP status the fleet routes answer with. */
  get status(): (typeof FLEET_ERROR_STATUS)[FleetErrorCode] {
    return FLEET_ERROR_STATUS[this.code];
  }
}
