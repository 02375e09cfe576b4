import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading } from '../types.js';

/** One oximeter sample, values already checked against the protocol's "invalid" markers. */
export interface OximetrySample {
  /** SpO2 in %, or `undefined` when the device marked it invalid. */
  spo2?: number;
  /** Pulse rate in beats per minute, or `undefined` when marked invalid. */
  pulseRate?: number;
  quality: QualityFlag[];
  /** The device is still acquiring: values are not final. */
  preliminary: boolean;
}

/**
 * Turns an oximeter sample into an SpO2 and a pulse-rate reading. A missing value becomes
 * `dataAbsentReason: 'temp-unknown'` (the device will report it once it has a signal),
 * never a number.
 *
 * @example
 * ```ts
 * toOximetryReadings({ spo2: 97, pulseRate: 72, quality: [], preliminary: false });
 * ```
 */
export function toOximetryReadings(sample: OximetrySample): DriverReading[] {
  const status = sample.preliminary ? 'preliminary' : 'final';
  const quality = [...new Set(sample.quality)];
  const spo2: DriverReading =
    sample.spo2 === undefined
      ? { code: 'spo2', dataAbsentReason: 'temp-unknown', status, quality }
      : { code: 'spo2', value: sample.spo2, unit: '%', status, quality };
  const pulse: DriverReading =
    sample.pulseRate === undefined
      ? { code: 'heart-rate', dataAbsentReason: 'temp-unknown', status, quality }
      : { code: 'heart-rate', value: sample.pulseRate, unit: '/min', status, quality };

  return [spo2, pulse];
}
