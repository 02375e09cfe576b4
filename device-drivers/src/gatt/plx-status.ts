import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading, WithheldReason } from '../types.js';
import { flagsFrom } from './gatt-result.js';
import type { MedicalNumber } from './ieee11073.js';

/**
 * [Bluetooth GSS: PLX Measurement Status] bit 5 measurement ongoing, 6 early estimated data,
 * 7 validated, 8 fully qualified, 9 from storage, 10 for demonstration, 11 for testing,
 * 12 calibration ongoing, 13 measurement unavailable, 14 questionable, 15 invalid.
 */
const MEASUREMENT_FLAGS: ReadonlyArray<[number, QualityFlag]> = [[14, 'questionable']];

/**
 * [Bluetooth GSS: PLX Device and Sensor Status] bit 1 equipment malfunction, 2 signal
 * processing irregularity, 3 inadequate signal, 4 poor signal, 5 low perfusion, 6 erratic
 * signal, 7 nonpulsatile signal, 8 questionable pulse, 9 signal analysis ongoing,
 * 10 sensor interference, 11 sensor unconnected to user, 12 unknown sensor connected,
 * 13 sensor displaced, 14 sensor malfunctioning, 15 sensor disconnected.
 */
const DEVICE_FLAGS: ReadonlyArray<[number, QualityFlag]> = [
  [1, 'sensor-fault'],
  [2, 'questionable'],
  [3, 'questionable'],
  [4, 'questionable'],
  [5, 'low-perfusion'],
  [6, 'questionable'],
  [7, 'questionable'],
  [8, 'questionable'],
  [9, 'searching'],
  [10, 'questionable'],
  [11, 'finger-out'],
  [12, 'sensor-fault'],
  [13, 'improper-position'],
  [14, 'sensor-fault'],
  [15, 'probe-off'],
];

/** How PLX status bits change a reading: flags, status, and when the value must go. */
export interface PlxJudgement {
  quality: QualityFlag[];
  status: DriverReading['status'];
  /** Set when the device says the value is unavailable or invalid. */
  absent?: DriverReading['dataAbsentReason'];
  /** Set when the values are for demonstration (bit 10) or testing (bit 11): not a patient's. */
  withheld?: WithheldReason;
}

/** Judges a PLX reading by its measurement status and device/sensor status, when present. */
export function judgePlx(measurement?: number, device?: number): PlxJudgement {
  const m = measurement ?? 0;
  const d = device ?? 0;
  const quality = [...new Set([...flagsFrom(m, MEASUREMENT_FLAGS), ...flagsFrom(d, DEVICE_FLAGS)])];
  const preliminary = (m & ((1 << 5) | (1 << 6) | (1 << 12))) !== 0;
  const absent =
    m & (1 << 15)
      ? 'error'
      : m & (1 << 13) || d & (1 << 11) || d & (1 << 15)
        ? 'temp-unknown'
        : undefined;

  const withheld = m & (1 << 10) ? 'demo-data' : m & (1 << 11) ? 'test-data' : undefined;

  return {
    quality,
    status: preliminary ? 'preliminary' : 'final',
    ...(absent ? { absent } : {}),
    ...(withheld ? { withheld } : {}),
  };
}

/**
 * A PLX reading from an 11073 number and the judgement: a special value, or the device's
 * own "invalid"/"unavailable", outranks the number.
 */
export function plxReading(
  code: 'spo2' | 'heart-rate',
  n: MedicalNumber,
  unit: string,
  j: PlxJudgement,
): DriverReading {
  const { quality, status, absent } = j;
  if (!n.ok) {
    return { code, dataAbsentReason: n.reason, quality, status };
  }
  if (absent !== undefined) {
    return { code, dataAbsentReason: absent, quality, status };
  }

  return { code, value: n.value, unit, quality, status };
}
