import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading } from '../types.js';
import { ByteReader } from './byte-reader.js';
import { flagsFrom, measured, withClock, type GattDecoded } from './gatt-result.js';

/**
 * [Bluetooth GSS: Blood Pressure Measurement] Measurement Status bits: 0 body movement,
 * 1 cuff fit too loose, 2 irregular pulse, 3-4 pulse rate range (1 above, 2 below the
 * upper/lower limit), 5 improper measurement position.
 */
const STATUS_FLAGS: ReadonlyArray<[number, QualityFlag]> = [
  [0, 'body-movement'],
  [1, 'cuff-loose'],
  [2, 'irregular-pulse'],
  [5, 'improper-position'],
];

function statusQuality(status: number | undefined): QualityFlag[] {
  if (status === undefined) {
    return [];
  }
  const range = (status >> 3) & 0x03;
  const flags = flagsFrom(status, STATUS_FLAGS);

  return range === 1 || range === 2 ? [...flags, 'pulse-out-of-range'] : flags;
}

/**
 * Blood Pressure Measurement (0x2A35) and Intermediate Cuff Pressure (0x2A36): same layout.
 * flags bit 0: kPa (else mmHg); bit 1: time stamp; bit 2: pulse rate; bit 3: user id;
 * bit 4: measurement status. Values are SFLOAT. In 0x2A36 the first value is the current
 * cuff pressure and the two others are unused (NaN): it yields no reading, only its fields
 * (`cuffPressure`), since a pressure during inflation is never a blood pressure to store.
 *
 * @example
 * ```ts
 * parseBloodPressure(bytes).readings[0].components; // systolic, diastolic, mean
 * ```
 */
export function parseBloodPressure(bytes: Uint8Array, intermediate = false): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const unit = flags & 0x01 ? 'kPa' : 'mm[Hg]';
  const systolic = r.sfloat(intermediate ? 'current cuff pressure' : 'systolic');
  const diastolic = r.sfloat('diastolic');
  const mean = r.sfloat('mean arterial pressure');
  const clock = flags & 0x02 ? r.dateTime('time stamp') : undefined;
  const pulse = flags & 0x04 ? r.sfloat('pulse rate') : undefined;
  const userId = flags & 0x08 ? r.u8('user id') : undefined;
  const status = flags & 0x10 ? r.u16('measurement status') : undefined;

  const quality = statusQuality(status);
  const panel: DriverReading = {
    code: 'bp-panel',
    quality,
    components: [
      { code: 'bp-systolic', ...measured(systolic, unit) },
      { code: 'bp-diastolic', ...measured(diastolic, unit) },
      { code: 'bp-mean', ...measured(mean, unit) },
    ],
  };
  const readings = [panel];
  if (pulse) {
    readings.push({ code: 'heart-rate', quality, ...measured(pulse, '/min') });
  }

  return {
    characteristic: intermediate ? 'Intermediate Cuff Pressure' : 'Blood Pressure Measurement',
    fields: {
      flags,
      unit,
      [intermediate ? 'cuffPressure' : 'systolic']: systolic,
      ...(intermediate ? {} : { diastolic, mean }),
      ...(clock ? { timeStamp: clock.ok ? clock.date : 'unknown' } : {}),
      ...(pulse ? { pulseRate: pulse } : {}),
      ...(userId === undefined ? {} : { userId }),
      ...(status === undefined ? {} : { measurementStatus: status }),
    },
    // The cuff pressure while inflating is progress, not a blood pressure: no reading.
    readings: intermediate ? [] : readings.map((reading) => withClock(reading, clock)),
  };
}

/** Intermediate Cuff Pressure (0x2A36). */
export function parseIntermediateCuffPressure(bytes: Uint8Array): GattDecoded {
  return parseBloodPressure(bytes, true);
}
