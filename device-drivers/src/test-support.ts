import { readFileSync } from 'node:fs';

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
