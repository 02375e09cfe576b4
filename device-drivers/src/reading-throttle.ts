import type { DriverReading } from './types.js';

/**
 * Thins a fast stream of readings (an oximeter sends ~60 frames/s) to at most one per code
 * every `minIntervalMs`, but lets a change of kind through at once: a value turning into a
 * data-absent reason, or a new set of quality flags (finger out).
 *
 * @example
 * ```ts
 * const throttle = new ReadingThrottle(1000);
 * if (throttle.admit(reading, Date.now())) emit(reading);
 * ```
 */
export class ReadingThrottle {
  readonly minIntervalMs: number;
  #last = new Map<string, { at: number; kind: string }>();

  constructor(minIntervalMs: number) {
    if (!(minIntervalMs >= 0)) {
      throw new TypeError('"minIntervalMs" must be >= 0');
    }
    this.minIntervalMs = minIntervalMs;
  }

  /** Whether `reading`, seen at `now` (ms), should go out. */
  admit(reading: DriverReading, now: number): boolean {
    const kind = [
      reading.dataAbsentReason ?? 'value',
      reading.status ?? 'final',
      ...(reading.quality ?? []).slice().sort(),
    ].join(',');
    const last = this.#last.get(reading.code);
    if (last && last.kind === kind && now - last.at < this.minIntervalMs) {
      return false;
    }

    this.#last.set(reading.code, { at: now, kind });

    return true;
  }

  /** Forgets what was sent (after a reconnect). */
  reset(): void {
    this.#last.clear();
  }
}
