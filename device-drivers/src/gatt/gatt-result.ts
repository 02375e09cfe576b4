import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading, WithheldReason } from '../types.js';
import type { DeviceClock } from './byte-reader.js';
import type { MedicalNumber } from './ieee11073.js';

/** What one characteristic value decodes to: every field, and the readings it yields. */
export interface GattDecoded {
  /** The characteristic's name in the Bluetooth assigned numbers. */
  characteristic: string;
  /** Every field the flags announced, raw or scaled, for the decoder CLI and debugging. */
  fields: Record<string, unknown>;
  readings: DriverReading[];
  /**
   * Set when the device marked the values as not a patient's (demo, test, control
   * solution): `readings` is then empty, and `count` says how many it would have held.
   */
  withheld?: { reason: WithheldReason; count: number };
}

/** Context a parser may need from other characteristics (Weight Scale Feature). */
export interface GattContext {
  /** Weight resolution in kg from the Weight Scale Feature (0x2A9E), when known. */
  weightResolutionKg?: number;
  /** Weight resolution in lb from the Weight Scale Feature, when known. */
  weightResolutionLb?: number;
}

/** A parser of one characteristic. */
export type GattParser = (bytes: Uint8Array, context?: GattContext) => GattDecoded;

/** The `value`/`dataAbsentReason` pair of a reading from an 11073 number. */
export function measured(
  n: MedicalNumber,
  unit: string,
): { value: number; unit: string } | { dataAbsentReason: DriverReading['dataAbsentReason'] } {
  return n.ok ? { value: n.value, unit } : { dataAbsentReason: n.reason };
}

/**
 * Moves the readings of a value the device marked as not a patient's out of `readings`
 * into `withheld` (its fields keep every value, for the decoder).
 */
export function withhold(reason: WithheldReason | undefined, decoded: GattDecoded): GattDecoded {
  if (reason === undefined) {
    return decoded;
  }

  const withheld = { reason, count: decoded.readings.length };

  return { ...decoded, fields: { ...decoded.fields, withheld: reason }, readings: [], withheld };
}

/** Adds the device time, or flags the clock when the device said it was unknown. */
export function withClock(
  reading: DriverReading,
  clock: DeviceClock | undefined,
  clockNotSet = false,
): DriverReading {
  const quality: QualityFlag[] = [...(reading.quality ?? [])];
  if ((clock && !clock.ok) || clockNotSet) {
    quality.push('clock-unreliable');
  }
  const deviceTime = clock?.ok && !clockNotSet ? clock.date : undefined;

  return {
    ...reading,
    quality: [...new Set(quality)],
    ...(deviceTime ? { deviceTime } : {}),
  };
}

/** The flags in `table` whose bit is set in `bits`, without repeats. */
export function flagsFrom(
  bits: number,
  table: ReadonlyArray<[number, QualityFlag]>,
): QualityFlag[] {
  return [...new Set(table.filter(([bit]) => (bits >>> bit) & 1).map(([, flag]) => flag))];
}
