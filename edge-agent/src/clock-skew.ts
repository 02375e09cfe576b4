/** Offsets below this are treated as noise and not applied. */
export const SKEW_TOLERANCE_MS = 1000;

const WINDOW = 32;

/**
 * Where a reading's device time comes from. `live`: measured just now, so on arrival the
 * device time tells what the device clock reads. `stored`: possibly replayed from the
 * device's memory (RACP records, an HL7 backlog, a memory dump), so its age is unknown and
 * it says nothing about the clock.
 */
export type ReadingOrigin = 'live' | 'stored';

/** What {@link ClockSkew.correct} decided for one reading. */
export interface SkewCorrection {
  effectiveAt: Date;
  /** True when the time was moved by more than the tolerance. */
  corrected: boolean;
}

/**
 * Measures the three clocks of the path and puts each reading on the hub's clock.
 *
 * - Agent→hub: from each ack, `hubTime − (sentAt + ackAt)/2` (the NTP midpoint), keeping the
 *   sample with the shortest round trip among the recent ones, as it has the least error.
 * - Device→agent: `agentTime − deviceTime` from clock samples only: live readings and
 *   explicit reads of the device clock. The minimum over the recent samples is kept, since
 *   transport delay only ever adds to it. A stored reading is never a sample: its
 *   `receivedAt − deviceTime` is its age plus the offset, and taking it for the offset would
 *   move an old record to the time it arrived.
 *
 * A reading's time is its device time plus the device offset (0 while none is measured)
 * plus the hub offset. It is never placed after its own receipt (on the hub clock): a
 * device time ahead of that means the device clock is fast by at least the difference, so
 * the correction stays within the clock's offset.
 *
 * @example
 * ```ts
 * skew.observeAck(sentAt, ackAt, hubTime);
 * const { effectiveAt, corrected } = skew.correct('oxi-1', deviceTime, receivedAt, 'live');
 * ```
 */
export class ClockSkew {
  #hubSamples: { rtt: number; offset: number }[] = [];
  #device = new Map<string, number[]>();

  /** Records one ack: when the batch left, when the ack came back, the hub's clock in it. */
  observeAck(sentAt: number, ackAt: number, hubTime: number): void {
    if (!Number.isFinite(hubTime) || ackAt < sentAt) {
      return;
    }

    this.#hubSamples.push({ rtt: ackAt - sentAt, offset: hubTime - (sentAt + ackAt) / 2 });
    if (this.#hubSamples.length > WINDOW) {
      this.#hubSamples.shift();
    }
  }

  /** Hub clock minus agent clock, in ms (0 until the first ack). */
  get hubOffsetMs(): number {
    if (this.#hubSamples.length === 0) {
      return 0;
    }
    const best = this.#hubSamples.reduce((a, b) => (b.rtt < a.rtt ? b : a));

    return Math.round(best.offset);
  }

  /** The hub's clock now, as far as the acks tell. */
  hubNow(): Date {
    return new Date(Date.now() + this.hubOffsetMs);
  }

  /**
   * Records one reading of a device's clock: the device said `deviceNow` when the agent's
   * clock said `agentAt` (a Current Time characteristic, a live reading on arrival).
   */
  observeDeviceClock(deviceId: string, deviceNow: Date, agentAt: Date): void {
    const sample = agentAt.getTime() - deviceNow.getTime();
    if (!Number.isFinite(sample)) {
      return;
    }

    const samples = this.#device.get(deviceId) ?? [];
    samples.push(sample);
    if (samples.length > WINDOW) {
      samples.shift();
    }
    this.#device.set(deviceId, samples);
  }

  /** Agent clock minus device clock for a device, in ms, or `undefined` until measured. */
  measuredDeviceOffsetMs(deviceId: string): number | undefined {
    const samples = this.#device.get(deviceId);

    return samples === undefined || samples.length === 0 ? undefined : Math.min(...samples);
  }

  /** Agent clock minus device clock for a device, in ms (0 when unknown). */
  deviceOffsetMs(deviceId: string): number {
    return this.measuredDeviceOffsetMs(deviceId) ?? 0;
  }

  /** Forgets a device's clock (the device was removed or reconfigured). */
  forgetDevice(deviceId: string): void {
    this.#device.delete(deviceId);
  }

  /**
   * Places a reading on the hub's clock. Without a device clock, the receipt time is used.
   * Only a `live` reading measures the device clock; a `stored` one (the default) keeps its
   * device time, moved by the offset measured from live readings.
   */
  correct(
    deviceId: string,
    deviceTime: Date | undefined,
    receivedAt: Date,
    origin: ReadingOrigin = 'stored',
  ): SkewCorrection {
    const hub = this.hubOffsetMs;
    const latest = receivedAt.getTime() + hub;
    if (deviceTime === undefined) {
      return Math.abs(hub) < SKEW_TOLERANCE_MS
        ? { effectiveAt: receivedAt, corrected: false }
        : { effectiveAt: new Date(latest), corrected: true };
    }

    if (origin === 'live') {
      this.observeDeviceClock(deviceId, deviceTime, receivedAt);
    }
    const base = deviceTime.getTime();
    const placed = Math.min(base + this.deviceOffsetMs(deviceId) + hub, latest);
    if (Math.abs(placed - base) < SKEW_TOLERANCE_MS) {
      return { effectiveAt: deviceTime, corrected: false };
    }

    return { effectiveAt: new Date(placed), corrected: true };
  }
}
