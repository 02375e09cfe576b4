/**
 * Why a frame was not acknowledged. Only these opaque codes (with the agent id and batch
 * seq) are ever logged: never values, never patient references.
 */
export type IngestRefusal =
  /** An envelope failure from `openJson` (`AUTH_FAILED`, `UNKNOWN_KEY`, …). */
  | `ENVELOPE_${string}`
  /** Sealed under a key id the agent used before and the hub has retired since. */
  | 'KEY_RETIRED'
  /** The batch around the readings is malformed (no seq, wrong shape). */
  | 'INVALID_BATCH'
  /** The body names another agent than its topic and header. */
  | 'AGENT_MISMATCH'
  /** The body's seq differs from the authenticated header's. */
  | 'SEQ_MISMATCH'
  /** The database did not take the batch; no ack, so the agent sends it again. */
  | 'STORE_UNAVAILABLE'
  /**
   * The batch is stored but the rule engine failed on it (or its alerts were not
   * committed); no ack, so the agent sends it again and the resend is evaluated.
   */
  | 'ENGINE_FAILED';

/** A data error the database will raise again on every retry. [PostgreSQL Appendix A] */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;

  return typeof code === 'string' && /^(22|23)/.test(code);
}
