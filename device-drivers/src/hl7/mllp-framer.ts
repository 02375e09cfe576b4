import { DriverError } from '../errors.js';

/** [HL7 v2 MLLP] start block VT, end block FS followed by CR. */
export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Largest message accepted (1 MiB): a peer that never ends a block cannot exhaust memory. */
const MAX_MESSAGE = 1 << 20;

/** Wraps a message in an MLLP block. */
export function encodeMllp(text: string): Buffer {
  return Buffer.concat([
    Buffer.of(MLLP_START),
    Buffer.from(text, 'utf8'),
    Buffer.of(MLLP_END, MLLP_CR),
  ]);
}

/**
 * Splits an MLLP byte stream into messages. Bytes outside a block are skipped and reported
 * once per run as a `SYNC` error; a block longer than 1 MiB is dropped as `BAD_LENGTH`.
 *
 * @example
 * ```ts
 * const framer = new MllpFramer();
 * socket.on('data', (chunk) => framer.push(chunk).messages.forEach(handle));
 * ```
 */
export class MllpFramer {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): { messages: string[]; errors: DriverError[] } {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const messages: string[] = [];
    const errors: DriverError[] = [];

    for (;;) {
      const start = this.#buffer.indexOf(MLLP_START);
      if (start !== 0) {
        const junk = start === -1 ? this.#buffer.length : start;
        if (junk > 0) {
          errors.push(
            new DriverError('SYNC', `${junk} bytes outside an MLLP block`, { offset: 0 }),
          );
          this.#buffer = this.#buffer.subarray(junk);
        }
        if (start === -1) {
          break;
        }
      }
      const end = this.#buffer.indexOf(Buffer.of(MLLP_END, MLLP_CR));
      if (end === -1) {
        if (this.#buffer.length > MAX_MESSAGE) {
          errors.push(
            new DriverError('BAD_LENGTH', 'MLLP block over 1 MiB dropped', { offset: 0 }),
          );
          this.#buffer = Buffer.alloc(0);
        }
        break;
      }
      messages.push(this.#buffer.subarray(1, end).toString('utf8'));
      this.#buffer = this.#buffer.subarray(end + 2);
    }

    return { messages, errors };
  }
}
