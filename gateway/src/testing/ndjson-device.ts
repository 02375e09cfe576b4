import { appendFileSync, writeFileSync } from 'node:fs';

/**
 * A device whose memory is a file of JSON lines, as the agent's `ndjson-file` driver reads
 * it: reading `n` (from 0) is an SpO2 value measured at `startMs + n * stepMs` by the device
 * clock. Lines carry no id, so the agent names each reading itself, and a reading read twice
 * would show in the hub as two rows with one device time. The count it produced is exact:
 * {@link NdjsonDevice.produced}.
 */
export interface NdjsonDeviceOptions {
  path: string;
  /** Device time of reading 0, ms since the epoch. */
  startMs: number;
  /** Device time between two readings. */
  stepMs: number;
  /** The SpO2 value (%) of reading `n`. */
  value: (n: number) => number;
}

/** See {@link NdjsonDeviceOptions}. */
export class NdjsonDevice {
  readonly #options: NdjsonDeviceOptions;
  #produced = 0;

  constructor(options: NdjsonDeviceOptions) {
    if (!(options.stepMs > 0)) {
      throw new TypeError('"stepMs" must be > 0');
    }

    this.#options = options;
    writeFileSync(options.path, '');
  }

  /** Readings written so far. */
  get produced(): number {
    return this.#produced;
  }

  /** The device time of reading `n`, ms since the epoch. */
  timeOf(n: number): number {
    return this.#options.startMs + n * this.#options.stepMs;
  }

  /** The value of reading `n`. */
  valueOf(n: number): number {
    return this.#options.value(n);
  }

  /** Appends the next `count` readings as whole lines, in one write. */
  produce(count: number): void {
    if (count <= 0) {
      return;
    }

    const lines: string[] = [];
    for (let n = this.#produced; n < this.#produced + count; n++) {
      const deviceTime = new Date(this.timeOf(n)).toISOString();
      lines.push(JSON.stringify({ code: 'spo2', value: this.valueOf(n), deviceTime }));
    }
    appendFileSync(this.#options.path, `${lines.join('\n')}\n`);
    this.#produced += count;
  }
}
