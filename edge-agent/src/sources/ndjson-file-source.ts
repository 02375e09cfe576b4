import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';

import type { DeviceState, DriverReading } from '@sparkden/device-drivers';

import type { ReadingOrigin } from '../clock-skew.js';
import { InvalidStateError } from '../errors.js';

/** Options of {@link NdjsonFileSource}. */
export interface NdjsonFileSourceOptions {
  path: string;
  /** Readings emitted per second at most. */
  ratePerSecond: number;
  /** Lines already committed (the durable cursor); reading resumes after them. */
  startLine: number;
  /** Keep polling for appended lines at the end of the file. */
  follow?: boolean;
}

/** What each emitted reading carries besides the reading. */
export interface SourceMeta {
  /** The reading's own id, when the source has one (so a replay is a duplicate, not new). */
  id?: string;
  /** The position to store once the reading is committed. */
  cursor?: string;
  /** Whether the reading was measured just now or replayed from memory (default: the device's `clock`). */
  origin?: ReadingOrigin;
}

/** The events of an {@link NdjsonFileSource}, a superset of a driver source's. */
export interface NdjsonFileSourceEvents {
  reading: [DriverReading, SourceMeta];
  state: [DeviceState];
  error: [Error];
  /** A line that held no reading; its cursor still advances. */
  skipped: [SourceMeta];
}

const TICK_MS = 10;

/**
 * Reads readings from a file of JSON lines (`{"id": …, "code": "spo2", "value": 97,
 * "deviceTime": "…"}`, optionally `"origin": "live"` for a line measured as it was written),
 * such as a device's memory dump: each line is emitted once, paced at
 * `ratePerSecond`, with the line number as the cursor the agent commits together with the
 * sealed reading, so a crash neither loses nor repeats a line.
 *
 * @example
 * ```ts
 * const source = new NdjsonFileSource({ path: 'dump.ndjson', ratePerSecond: 100, startLine: 0 });
 * source.on('reading', (reading, meta) => accept(reading, meta));
 * await source.start();
 * ```
 */
export class NdjsonFileSource extends EventEmitter<NdjsonFileSourceEvents> {
  #options: NdjsonFileSourceOptions;
  #state: DeviceState = 'disconnected';
  #stopped = false;
  #paused = false;
  #wake?: () => void;
  #done?: Promise<void>;

  constructor(options: NdjsonFileSourceOptions) {
    super();
    if (!(options.ratePerSecond > 0)) {
      throw new TypeError('"ratePerSecond" must be > 0');
    }
    this.#options = options;
  }

  get state(): DeviceState {
    return this.#state;
  }

  #setState(state: DeviceState): void {
    this.#state = state;
    this.emit('state', state);
  }

  async start(): Promise<void> {
    if (this.#stopped) {
      throw new InvalidStateError('source is stopped');
    }
    this.#done = this.#run().catch((error: unknown) => {
      this.#setState('error');
      this.emit('error', error as Error);
    });
    return Promise.resolve();
  }

  /** Holds emission (back-pressure from a full queue) until resumed. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (!paused) {
      this.#wake?.();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    const perTick = Math.max(1, Math.round((this.#options.ratePerSecond * TICK_MS) / 1000));
    const follow = this.#options.follow === true;
    this.#setState('connecting');
    let sent = 0;
    for (;;) {
      const text = await readFile(this.#options.path, 'utf8');
      this.#setState('connected');
      const lines = text.split('\n');
      // The last segment is empty (after the final newline) or a line still being written;
      // only a file that is not followed may end without a newline.
      const complete = text.endsWith('\n') || follow ? lines.length - 1 : lines.length;
      for (let i = this.#options.startLine; i < complete; i++) {
        while (this.#paused && !this.#stopped) {
          await this.#sleep(50);
        }
        if (this.#stopped) {
          return;
        }
        const line = lines[i] ?? '';
        if (line.trim() === '') {
          this.#options.startLine = i + 1;
          continue;
        }
        this.#emitLine(line, i + 1);
        this.#options.startLine = i + 1;
        if (++sent % perTick === 0) {
          await this.#sleep(TICK_MS);
        }
      }
      if (!follow || this.#stopped) {
        this.#setState('disconnected');

        return;
      }
      await this.#sleep(200);
      if (this.#stopped) {
        return;
      }
    }
  }

  #emitLine(text: string, line: number): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (cause) {
      this.emit('error', new Error(`line ${line} is not JSON`, { cause }));
      this.emit('skipped', { cursor: String(line) });

      return;
    }
    const { id, deviceTime, origin, ...rest } = parsed;
    const reading = {
      ...rest,
      ...(typeof deviceTime === 'string' ? { deviceTime: new Date(deviceTime) } : {}),
    } as DriverReading;
    this.emit('reading', reading, {
      id: typeof id === 'string' ? id : undefined,
      cursor: String(line),
      ...(origin === 'live' || origin === 'stored' ? { origin } : {}),
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#done;
    this.#setState('disconnected');
  }
}
