/** Codes a {@link VisitError} carries; clients branch on these, never on message text. */
export type VisitErrorCode =
  /** The join token is missing, malformed, forged, for another audience, or expired. */
  | 'TOKEN_INVALID'
  /** The caller's role may not do this (only the clinician host admits, mutes, kicks, ends). */
  | 'FORBIDDEN'
  /** The participant is still in the lobby (or was never admitted). */
  | 'NOT_ADMITTED'
  /** The participant was removed from this visit by the host. */
  | 'KICKED'
  /** The visit has ended; nobody can (re)join it. */
  | 'VISIT_ENDED'
  /** No media worker: the mediasoup worker binary is not built or failed verification. */
  | 'MEDIA_UNAVAILABLE'
  /** A worker binary started but did not behave (no ICE candidates or DTLS fingerprints). */
  | 'WORKER_UNVERIFIED'
  /** A request named a transport, producer or participant that does not exist here. */
  | 'NOT_FOUND'
  /** A request body failed validation. */
  | 'BAD_REQUEST'
  /** The user already holds a connected seat in this visit (another device or tab). */
  | 'SEAT_TAKEN'
  /** The host muted this kind; the participant may unmute only once the host allows it. */
  | 'MUTED_BY_HOST';

/**
 * A visit-signaling failure. Sent to the client as `{ code, message }` in the ack.
 *
 * @example
 * throw new VisitError('FORBIDDEN', 'only the host can admit');
 */
export class VisitError extends Error {
  readonly code: VisitErrorCode;

  constructor(code: VisitErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VisitError';
    this.code = code;
  }
}

/** Use of a service, room or pool after `stop()`/`close()`. */
export class InvalidStateError extends Error {
  readonly code = 'INVALID_STATE';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}
