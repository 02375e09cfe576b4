import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

import { AgentError } from '../errors.js';
import { writeFileAtomic } from '../state-dir.js';

/** Width of the bound written in place (a safe integer has at most 16 digits). */
const PADDED_WIDTH = 20;

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
    } catch (error) {
      // Only a file never written means "start at 0": a file that cannot be read might hold a
      // bound already used, and restarting below it would reuse record ids.
      if ((error as { code?: string }).code !== 'ENOENT') {
        throw new AgentError('STATE_UNREADABLE', 'sequence file cannot be read', { cause: error });
      }
    }
    if (!Number.isSafeInteger(stored) || stored < 0) {
      throw new TypeError(`"${this.#path}" does not hold a sequence number`);
    }
    this.#next = stored + 1;
    this.#limit = stored;
  }

  /**
   * The next number, strictly greater than any handed out before.
   *
   * @throws {AgentError} `DISK_FULL` when the next block cannot be reserved for lack of space.
   */
  next(): number {
    if (this.#next > this.#limit) {
      const limit = this.#next + this.#block - 1;
      this.#reserve(limit);
      this.#limit = limit;
    }

    return this.#next++;
  }

  /**
   * Stores the new upper bound atomically; on a full disk, in place instead: the file keeps
   * its one block, and the bound, padded to a fixed width, fits in one sector write.
   */
  #reserve(limit: number): void {
    try {
      writeFileAtomic(this.#path, String(limit));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') {
        throw error;
      }
      try {
        const fd = openSync(this.#path, 'r+');
        try {
          writeSync(fd, String(limit).padStart(PADDED_WIDTH), 0);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (cause) {
        throw new AgentError('DISK_FULL', 'no space to reserve sequence numbers', { cause });
      }
    }
  }
}
