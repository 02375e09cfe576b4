import { readFileSync } from 'node:fs';

import { writeFileAtomic } from '../state-dir.js';

/** Options of {@link SeqCounter}. */
export interface SeqCounterOptions {
  /** The file holding the high-water mark. Kept apart from the queue so a quarantine keeps it. */
  path: string;
  /** Numbers reserved per write of the file (default 10 000). */
  block?: number;
}

/**
 * A sequence that never repeats, across crashes and queue quarantines: a block of numbers
 * is reserved by fsyncing its upper bound before any of them is handed out, so a crash
 * skips at most the rest of one block.
 *
 * @example
 * ```ts
 * const seq = new SeqCounter({ path: '/var/lib/sparkden-agent/seq' });
 * seq.next(); // 1
 * ```
 */
export class SeqCounter {
  #path: string;
  #block: number;
  #next: number;
  #limit: number;

  constructor(options: SeqCounterOptions) {
    this.#path = options.path;
    this.#block = options.block ?? 10_000;
    let stored = 0;
    try {
      stored = Number(readFileSync(this.#path, 'utf8').trim());
    } catch {
      stored = 0;
    }
    if (!Number.isSafeInteger(stored) || stored < 0) {
      throw new TypeError(`"${this.#path}" does not hold a sequence number`);
    }
    this.#next = stored + 1;
    this.#limit = stored;
  }

  /** The next number, strictly greater than any handed out before. */
  next(): number {
    if (this.#next > this.#limit) {
      const limit = this.#next + this.#block - 1;
      writeFileAtomic(this.#path, String(limit));
      this.#limit = limit;
    }

    return this.#next++;
  }
}
