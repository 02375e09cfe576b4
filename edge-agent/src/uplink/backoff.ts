/** Options of {@link Backoff}. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Random source in [0, 1), for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "full jitter": the n-th delay is uniform in
 * [minMs, min(maxMs, minMs·2ⁿ)], so a fleet of agents that lost the hub together does
 * not come back together.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ minMs: 500, maxMs: 60_000 });
 * setTimeout(connect, backoff.next());
 * ```
 */
export class Backoff {
  #options: BackoffOptions;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    if (options.minMs <= 0 || options.maxMs < options.minMs) {
      throw new TypeError('"minMs" must be > 0 and <= "maxMs"');
    }
    this.#options = options;
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const { minMs, maxMs, random = Math.random } = this.#options;
    const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;

    return Math.round(minMs + random() * (ceiling - minMs));
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }

  get attempt(): number {
    return this.#attempt;
  }
}
