import { DriverError } from '../errors.js';
import type { DeviceAlarm, DriverReading } from '../types.js';
import type { FrameOutput, SerialProtocol } from './serial-protocol.js';

/** What one {@link SerialFrameReader.push} produced. */
export interface ReaderOutput {
  readings: DriverReading[];
  alarms: DeviceAlarm[];
  /** One error per run of skipped bytes, its offset counted from the start of the stream. */
  errors: DriverError[];
}

/** Longest stretch of bytes kept while waiting for the rest of a frame. */
const MAX_PENDING = 4096;

/**
 * Splits a serial byte stream into frames of one protocol, interprets them and resyncs after
 * garbage. Chunks may cut frames anywhere.
 *
 * @example
 * ```ts
 * const reader = new SerialFrameReader(contecLive5);
 * port.on('data', (chunk) => handle(reader.push(chunk)));
 * ```
 */
export class SerialFrameReader<F = unknown> {
  readonly protocol: SerialProtocol<F>;
  #interpret: (frame: F, afterGap: boolean) => FrameOutput;
  #pending: Uint8Array = new Uint8Array(0);
  #streamOffset = 0;
  #gap = false;

  constructor(protocol: SerialProtocol<F>) {
    this.protocol = protocol;
    this.#interpret = protocol.createInterpreter();
  }

  /** Feeds a chunk; returns what the complete frames in it meant. */
  push(chunk: Uint8Array): ReaderOutput {
    const bytes = concat(this.#pending, chunk);
    const out: ReaderOutput = { readings: [], alarms: [], errors: [] };
    let offset = 0;
    let skipped: { from: number; first: DriverError; count: number } | undefined;

    while (offset < bytes.length) {
      const result = this.protocol.scan(bytes, offset);
      if (result.type === 'more') {
        break;
      }
      if (result.type === 'skip') {
        skipped ??= { from: this.#streamOffset + offset, first: result.error, count: 0 };
        skipped.count += result.length;
        offset += result.length;
        continue;
      }
      const afterGap = skipped !== undefined || this.#gap;
      if (skipped) {
        out.errors.push(summarize(skipped));
        skipped = undefined;
      }
      this.#gap = false;
      const meaning = this.#interpret(result.frame, afterGap);
      out.readings.push(...meaning.readings);
      out.alarms.push(...meaning.alarms);
      offset += result.length;
    }
    if (skipped) {
      out.errors.push(summarize(skipped));
      this.#gap = true;
    }
    if (bytes.length - offset > MAX_PENDING) {
      offset = bytes.length;
      this.#gap = true;
    }

    this.#pending = bytes.slice(offset);
    this.#streamOffset += offset;

    return out;
  }

  /** Forgets partial frames and interpreter state (after a reconnect). */
  reset(): void {
    this.#pending = new Uint8Array(0);
    this.#streamOffset = 0;
    this.#gap = false;
    this.#interpret = this.protocol.createInterpreter();
  }
}

function summarize(s: { from: number; first: DriverError; count: number }): DriverError {
  const what = `${s.count} byte${s.count === 1 ? '' : 's'} skipped: ${s.first.reason}`;

  return new DriverError(s.first.code, what, { offset: s.from });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) {
    return b;
  }
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);

  return out;
}
