import { ByteReader } from './byte-reader.js';
import { withClock, withhold, type GattDecoded } from './gatt-result.js';
import { judgePlx, plxReading } from './plx-status.js';

/**
 * PLX Spot-check Measurement (0x2A5E). [Bluetooth GSS: PLX Spot-check Measurement]
 * flags bit 0: time stamp; bit 1: measurement status (u16); bit 2: device and sensor status
 * (u24); bit 3: pulse amplitude index (SFLOAT, %); bit 4: device clock is not set.
 * SpO2 (%) and pulse rate (/min) are SFLOAT. Demonstration or test data (measurement status
 * bit 10 or 11) yields no reading: it is `withheld`, never a patient's value.
 *
 * @example
 * ```ts
 * parsePlxSpotCheck(bytes).readings; // [spo2, heart-rate]
 * ```
 */
export function parsePlxSpotCheck(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const spo2 = r.sfloat('SpO2');
  const pulse = r.sfloat('pulse rate');
  const clock = flags & 0x01 ? r.dateTime('time stamp') : undefined;
  const measurementStatus = flags & 0x02 ? r.u16('measurement status') : undefined;
  const deviceStatus = flags & 0x04 ? r.u24('device and sensor status') : undefined;
  const pai = flags & 0x08 ? r.sfloat('pulse amplitude index') : undefined;
  const clockNotSet = (flags & 0x10) !== 0;

  const judgement = judgePlx(measurementStatus, deviceStatus);
  const readings = [
    plxReading('spo2', spo2, '%', judgement),
    plxReading('heart-rate', pulse, '/min', judgement),
  ].map((reading) => withClock(reading, clock, clockNotSet));

  return withhold(judgement.withheld, {
    characteristic: 'PLX Spot-check Measurement',
    fields: {
      flags,
      spo2,
      pulseRate: pulse,
      ...(clock ? { timeStamp: clock.ok ? clock.date : 'unknown' } : {}),
      ...(measurementStatus === undefined ? {} : { measurementStatus }),
      ...(deviceStatus === undefined ? {} : { deviceAndSensorStatus: deviceStatus }),
      ...(pai ? { pulseAmplitudeIndex: pai } : {}),
      deviceClockSet: !clockNotSet,
    },
    readings,
  });
}
