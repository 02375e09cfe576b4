import { writeReadings } from './agent-fixture.js';

// Test scaffolding: a device that keeps appending readings to a followed JSON-lines file for a
// set time, as a monitor keeps measuring while the hub is away.

/** Options of {@link streamReadings}. */
export interface ReadingStreamOptions {
  file: string;
  /** How long the stream runs, in milliseconds. */
  durationMs: number;
  /** Readings appended per tick. */
  perTick: number;
  /** Milliseconds between ticks. */
  tickMs: number;
  /** The SpO2 value of the n-th reading of the whole stream (default 97). */
  value?: (n: number) => number;
}

/** What a finished stream wrote. */
export interface ReadingStreamResult {
  ids: string[];
  /** Values in the order written (to count the breaches the agent must alarm on). */
  values: number[];
}

/**
 * Appends `perTick` readings every `tickMs` until `durationMs` has passed; resolves with the
 * ids and values of every reading written.
 */
export async function streamReadings(options: ReadingStreamOptions): Promise<ReadingStreamResult> {
  const { file, durationMs, perTick, tickMs } = options;
  const value = options.value ?? (() => 97);
  const ids: string[] = [];
  const values: number[] = [];
  const end = Date.now() + durationMs;

  while (Date.now() < end) {
    const base = values.length;
    ids.push(...writeReadings(file, perTick, (i) => value(base + i), true));
    for (let i = 0; i < perTick; i++) {
      values.push(value(base + i));
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }

  return { ids, values };
}
