import { readFileSync } from 'node:fs';

import type { Parameters } from 'fast-check';

/** Parses `"c6 40 05"` (spaces optional) into bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');

  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** Reads a JSON fixture next to the calling test. */
export function readFixture<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

/** Waits for `predicate` to hold, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * fast-check parameters for one property: `SD_PROPERTY_RUNS` runs (default 400), and never
 * more than `timeLimitMs` of runs on a loaded machine. A run cut short by the limit passes
 * with the runs it made: it bounds the time, it asserts no timing.
 */
export function propertyParams<T>(timeLimitMs = 20_000): Parameters<T> {
  return {
    numRuns: Number(process.env.SD_PROPERTY_RUNS ?? 400),
    interruptAfterTimeLimit: timeLimitMs,
    markInterruptAsFailure: false,
  };
}
