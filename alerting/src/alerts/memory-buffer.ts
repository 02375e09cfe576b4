import type { DeviceSeen } from '../rules/stale.js';
import type { Reading, Rule } from '../rules/types.js';
import type { Remembered, RuleMemory } from './rule-memory.js';

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
  readonly #memory: RuleMemory;
  readonly #devices = new Map<string, DeviceSeen>();
  readonly #remembered = new Map<string, Remembered>();
  #lastPrune = 0;

  constructor(memory: RuleMemory) {
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

  /** Writes what was noted; once an hour also prunes samples older than twice any window. */
  async flush(now: number, rules: readonly Rule[]): Promise<void> {
    const devices = [...this.#devices.values()];
    const memory = [...this.#remembered.values()];
    this.#devices.clear();
    this.#remembered.clear();

    await this.#memory.touchDevices(devices);
    await this.#memory.remember(memory);
    if (now - this.#lastPrune >= HOUR_MS) {
      this.#lastPrune = now;
      const windows = rules.flatMap((r) => (r.kind === 'trend' ? [r.windowMs] : []));
      await this.#memory.prune(new Date(now - Math.max(0, ...windows) * 2).toISOString());
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
