/** Options of {@link AdaptiveBatch}. */
export interface AdaptiveBatchOptions {
  /** Largest batch [protocol observationBatchSchema: at most 5000]. */
  max: number;
  /** Smallest target (default 50, or `max` when smaller). */
  min?: number;
}

/**
 * The size the uplink aims for in one `up/obs` batch. It follows the backlog the link can
 * carry: it doubles after each ack that came back in under a quarter of the ack timeout
 * (the link has room, so a backlog drains in fewer, larger frames) and halves after a
 * timeout (a slow or lossy link resends less per loss). Live traffic is never held back
 * to fill a batch: a batch carries what is queued, up to the target.
 *
 * @example
 * ```ts
 * const size = new AdaptiveBatch({ max: 5000 });
 * size.onAck(rttMs, ackTimeoutMs);
 * ```
 */
export class AdaptiveBatch {
  #min: number;
  #max: number;
  #target: number;

  constructor(options: AdaptiveBatchOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new TypeError('"max" must be a positive integer');
    }
    this.#max = options.max;
    this.#min = Math.min(options.min ?? 50, this.#max);
    this.#target = Math.min(200, this.#max);
  }

  get target(): number {
    return this.#target;
  }

  onAck(rttMs: number, ackTimeoutMs: number): void {
    if (rttMs < ackTimeoutMs / 4) {
      this.#target = Math.min(this.#max, this.#target * 2);
    }
  }

  onTimeout(): void {
    this.#target = Math.max(this.#min, Math.floor(this.#target / 2));
  }
}
