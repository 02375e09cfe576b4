import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading } from '../types.js';
import { ByteReader } from './byte-reader.js';
import { flagsFrom, withClock, withhold, type GattDecoded } from './gatt-result.js';
import { scaleDecimal } from './ieee11073.js';

/**
 * [Bluetooth GSS: Glucose Measurement, Sensor Status Annunciation] bit 0 battery low,
 * 1 sensor malfunction, 2 sample size insufficient, 3 strip insertion error, 4 strip type
 * incorrect, 5 result above range, 6 result below range, 7 temperature too high, 8 too low,
 * 9 read interrupted, 10 general device fault, 11 time fault.
 */
const ANNUNCIATION_FLAGS: ReadonlyArray<[number, QualityFlag]> = [
  [0, 'low-battery'],
  [1, 'sensor-fault'],
  [2, 'questionable'],
  [3, 'sensor-fault'],
  [4, 'sensor-fault'],
  [7, 'questionable'],
  [8, 'questionable'],
  [9, 'questionable'],
  [10, 'sensor-fault'],
  [11, 'clock-unreliable'],
];

/** [GSS: Glucose type] low nibble of Type-Sample Location. */
const TYPES = [
  'reserved',
  'capillary whole blood',
  'capillary plasma',
  'venous whole blood',
  'venous plasma',
  'arterial whole blood',
  'arterial plasma',
  'undetermined whole blood',
  'undetermined plasma',
  'interstitial fluid',
  'control solution',
];
/** [GSS: Glucose sample location] high nibble. */
const LOCATIONS: Record<number, string> = {
  1: 'finger',
  2: 'alternate site test',
  3: 'earlobe',
  4: 'control solution',
  15: 'not available',
};
const CONTROL_SOLUTION = 10;
const CONTROL_LOCATION = 4;

/**
 * Glucose Measurement (0x2A18). [Bluetooth GSS: Glucose Measurement]
 * Sequence number u16, base time (7 bytes); flags bit 0: time offset (s16 minutes);
 * bit 1: concentration (SFLOAT) and type-sample location (u8); bit 2: concentration in
 * mol/L (else kg/L); bit 3: sensor status annunciation (u16); bit 4: a context follows.
 * kg/L becomes mg/dL (× 10^5) and mol/L becomes mmol/L (× 10^3), by exponent, exactly.
 * A control-solution result (type 10 or location 4) is a check of the meter, not the patient's
 * glucose: it yields no reading, only `withheld` (its sequence number still counts).
 *
 * @example
 * ```ts
 * parseGlucose(bytes).readings[0]; // { code: 'glucose', value: 95, unit: 'mg/dL' }
 * ```
 */
export function parseGlucose(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const sequence = r.u16('sequence number');
  const base = r.dateTime('base time');
  const offsetMin = flags & 0x01 ? r.s16('time offset') : 0;
  const concentration = flags & 0x02 ? r.sfloat('glucose concentration') : undefined;
  const typeLocation = flags & 0x02 ? r.u8('type-sample location') : undefined;
  const annunciation = flags & 0x08 ? r.u16('sensor status annunciation') : undefined;

  const molar = (flags & 0x04) !== 0;
  const unit = molar ? 'mmol/L' : 'mg/dL';
  const type = typeLocation === undefined ? undefined : typeLocation & 0x0f;
  const quality = flagsFrom(annunciation ?? 0, ANNUNCIATION_FLAGS);
  const control = type === CONTROL_SOLUTION || (typeLocation ?? 0) >> 4 === CONTROL_LOCATION;
  const status = annunciation ?? 0;
  const interpretation = status & 0x20 ? ['>'] : status & 0x40 ? ['<'] : undefined;
  let reading: DriverReading = { code: 'glucose', quality, dataAbsentReason: 'unknown' };
  if (concentration?.ok) {
    const shift = molar ? 3 : 5;
    const value = scaleDecimal(concentration.mantissa, concentration.exponent + shift);
    reading = {
      code: 'glucose',
      quality,
      value,
      unit,
      ...(interpretation ? { interpretation } : {}),
    };
  } else if (concentration) {
    reading = { code: 'glucose', quality, dataAbsentReason: concentration.reason };
  }
  const clock = base.ok
    ? { ok: true as const, date: new Date(base.date.getTime() + offsetMin * 60_000) }
    : base;

  return withhold(control ? 'control-solution' : undefined, {
    characteristic: 'Glucose Measurement',
    fields: {
      flags,
      sequenceNumber: sequence,
      baseTime: base.ok ? base.date : 'unknown',
      timeOffsetMinutes: offsetMin,
      ...(concentration ? { concentration, concentrationUnit: molar ? 'mol/L' : 'kg/L' } : {}),
      ...(type === undefined ? {} : { type: TYPES[type] ?? `reserved (${type})` }),
      ...(typeLocation === undefined
        ? {}
        : { sampleLocation: LOCATIONS[typeLocation >> 4] ?? 'reserved' }),
      ...(annunciation === undefined ? {} : { sensorStatusAnnunciation: annunciation }),
      contextFollows: (flags & 0x10) !== 0,
    },
    readings: [withClock(reading, clock)],
  });
}
