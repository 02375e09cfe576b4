import type { DeviceSeen } from '../rules/stale.js';
import type { Reading, Rule } from '../rules/types.js';
import type { Remembered, RuleMemory } from './rule-memory.js';

/** The part of {@link RuleMemory} a {@link MemoryBuffer} writes to. */
export type MemoryWriter = Pick<RuleMemory, 'touchDevices' | 'remember' | 'prune'>;

const HOUR_MS = 3_600_000;

/**
 * What the rules must remember across a restart (each device's last reading, the latest
 * NEWS2 inputs, trend samples), gathered in memory off the alert path and written to
 * {@link RuleMemory} in one go by {@link flush}. Losing a second of it in a crash costs at
 * most an input the next reading restores.
 *
 * @example
 * ```ts
 * const buffer = new MemoryBuffer(memory);
 * buffer.note(touchedDevices, readings, isLatest, trendCodes);
 * await buffer.flush(Date.now(), rules);
 * ```
 */
export class MemoryBuffer {
  readonly #memory: MemoryWriter;
  readonly #devices = new Map<string, DeviceSeen>();
  readonly #remembered = new Map<string, Remembered>();
  #lastPrune = 0;

  constructor(memory: MemoryWriter) {
    this.#memory = memory;
  }

  /**
   * Notes a batch: the devices it touched, its readings that are now a patient's latest of
   * their code (`isLatest`), and every reading of a code a trend rule follows.
   */
  note(
    devices: Iterable<DeviceSeen>,
    readings: readonly Reading[],
    isLatest: (r: Reading) => boolean,
    trendCodes: ReadonlySet<string>,
  ): void {
    for (const d of devices) {
      this.#devices.set(d.deviceId, d);
    }
    for (const m of memorable(readings, isLatest, trendCodes)) {
      const key =
        m.kind === 'latest' ? `${m.reading.patientId}|${m.reading.code}` : m.reading.observationId;
      this.#remembered.set(`${m.kind}|${key}`, m);
    }
  }

  /**
   * Writes what was noted; once an hour also prunes samples older than twice any window.
   * What could not be written is kept for the next flush (unless noted again since).
   */
  async flush(now: number, rules: readonly Rule[]): Promise<void> {
    const devices = new Map(this.#devices);
    const memory = new Map(this.#remembered);
    this.#devices.clear();
    this.#remembered.clear();

    try {
      await this.#memory.touchDevices([...devices.values()]);
      devices.clear();
      await this.#memory.remember([...memory.values()]);
    } catch (error) {
      putBack(this.#devices, devices);
      putBack(this.#remembered, memory);
      throw error;
    }
    if (now - this.#lastPrune >= HOUR_MS) {
      this.#lastPrune = now;
      const windows = rules.flatMap((r) => (r.kind === 'trend' ? [r.windowMs] : []));
      await this.#memory.prune(new Date(now - Math.max(0, ...windows) * 2).toISOString());
    }
  }
}

/** Returns unwritten entries to `into`, where an entry noted meanwhile is newer and wins. */
function putBack<V>(into: Map<string, V>, unwritten: ReadonlyMap<string, V>): void {
  for (const [key, value] of unwritten) {
    if (!into.has(key)) {
      into.set(key, value);
    }
  }
}

function memorable(
  readings: readonly Reading[],
  isLatest: (r: Reading) => boolean,
  trendCodes: ReadonlySet<string>,
): Remembered[] {
  const latest = new Map<string, Reading>();
  const out: Remembered[] = [];
  for (const r of readings) {
    if (isLatest(r)) {
      latest.set(`${r.patientId}|${r.code}`, r);
    }
    if (trendCodes.has(r.code)) {
      out.push({ kind: 'sample', reading: r });
    }
  }

  return [...out, ...[...latest.values()].map((reading) => ({ kind: 'latest' as const, reading }))];
}
