/** Offsets below this are treated as noise and not applied. */
export const SKEW_TOLERANCE_MS = 1000;

const WINDOW = 32;

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
 * - Device→agent: `receivedAt − deviceTime` per device; the minimum over the recent readings,
 *   since transport delay and readings replayed from device memory only ever add to it.
 *
 * @example
 * ```ts
 * skew.observeAck(sentAt, ackAt, hubTime);
 * const { effectiveAt, corrected } = skew.correct('oxi-1', deviceTime, receivedAt);
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

  /** Agent clock minus device clock for a device, in ms (0 when unknown). */
  deviceOffsetMs(deviceId: string): number {
    const samples = this.#device.get(deviceId);

    return samples === undefined || samples.length === 0 ? 0 : Math.min(...samples);
  }

  /** Places a reading on the hub's clock. Without a device clock, the receipt time is used. */
  correct(deviceId: string, deviceTime: Date | undefined, receivedAt: Date): SkewCorrection {
    let deviceOffset = 0;
    if (deviceTime !== undefined) {
      const samples = this.#device.get(deviceId) ?? [];
      samples.push(receivedAt.getTime() - deviceTime.getTime());
      if (samples.length > WINDOW) {
        samples.shift();
      }
      this.#device.set(deviceId, samples);
      deviceOffset = Math.min(...samples);
    }
    const base = deviceTime ?? receivedAt;
    const shift = deviceOffset + this.hubOffsetMs;
    if (Math.abs(shift) < SKEW_TOLERANCE_MS) {
      return { effectiveAt: base, corrected: false };
    }

    return { effectiveAt: new Date(base.getTime() + shift), corrected: true };
  }
}
