import type { BackoffOptions } from './types.js';

/**
 * The delay before reconnect attempt `attempt` (0-based): doubling from `minMs` up to `maxMs`,
 * with up to 20 % jitter so a fleet of agents does not reconnect in step.
 *
 * @example
 * ```ts
 * setTimeout(connect, computeBackoff(attempts++, { minMs: 500, maxMs: 30_000 }));
 * ```
 */
export function computeBackoff(attempt: number, options: BackoffOptions = {}): number {
  const min = options.minMs ?? 500;
  const max = options.maxMs ?? 30_000;
  if (!(min > 0) || !(max >= min)) {
    throw new TypeError('"reconnect" needs 0 < minMs <= maxMs');
  }

  const base = Math.min(max, min * 2 ** Math.min(attempt, 30));
  const jitter = base * 0.2 * Math.random();

  return Math.round(Math.min(max, base - jitter));
}
