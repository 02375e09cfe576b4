import { ByteReader } from './byte-reader.js';
import { measured, withClock, type GattDecoded } from './gatt-result.js';

/** [Bluetooth GSS: Temperature Type] the body site of a temperature measurement. */
export const TEMPERATURE_TYPES: Readonly<Record<number, string>> = {
  1: 'armpit',
  2: 'body (general)',
  3: 'ear (usually earlobe)',
  4: 'finger',
  5: 'gastro-intestinal tract',
  6: 'mouth',
  7: 'rectum',
  8: 'toe',
  9: 'tympanum (ear drum)',
};

/**
 * Temperature Measurement (0x2A1C). [Bluetooth GSS: Temperature Measurement]
 * flags bit 0: Fahrenheit (else Celsius); bit 1: time stamp; bit 2: temperature type.
 * The value is an 11073 FLOAT.
 *
 * @example
 * ```ts
 * parseTemperature(bytes).readings[0]; // { code: 'body-temp', value: 36.8, unit: 'Cel' }
 * ```
 */
export function parseTemperature(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const unit = flags & 0x01 ? '[degF]' : 'Cel';
  const temperature = r.float32('temperature');
  const clock = flags & 0x02 ? r.dateTime('time stamp') : undefined;
  const type = flags & 0x04 ? r.u8('temperature type') : undefined;

  const reading = withClock(
    { code: 'body-temp', quality: [], ...measured(temperature, unit) },
    clock,
  );

  return {
    characteristic: 'Temperature Measurement',
    fields: {
      flags,
      unit,
      temperature,
      ...(clock ? { timeStamp: clock.ok ? clock.date : 'unknown' } : {}),
      ...(type === undefined
        ? {}
        : { temperatureType: TEMPERATURE_TYPES[type] ?? `reserved (${type})` }),
    },
    readings: [reading],
  };
}
