/** Codes an {@link AlertError} carries. */
export type AlertErrorCode =
  'NOT_FOUND' | 'INVALID_TRANSITION' | 'INVALID_SILENCE' | 'FORBIDDEN' | 'CLOSED';

/**
 * A refused alert operation. `NOT_FOUND`: no such alert; `INVALID_TRANSITION`: the alert is
 * not in a state that allows it (acknowledging a resolved alert); `INVALID_SILENCE`: a bad
 * window or matcher; `FORBIDDEN`: the principal may not touch it; `CLOSED`: the engine was
 * stopped.
 */
export class AlertError extends Error {
  readonly code: AlertErrorCode;

  constructor(code: AlertErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'AlertError';
    this.code = code;
  }
}
