import type { QualityFlag } from '@sparkden/protocol';

import type { DriverReading } from '../types.js';
import { ByteReader } from './byte-reader.js';
import type { GattDecoded } from './gatt-result.js';
import { DriverError } from '../errors.js';

/**
 * Heart Rate Measurement (0x2A37). [Bluetooth GSS: Heart Rate Measurement]
 * flags bit 0: value is u16 (else u8); bits 1-2: sensor contact (bit 2 supported, bit 1
 * detected); bit 3: energy expended (u16, kJ) present; bit 4: RR intervals (u16, 1/1024 s)
 * fill the rest. With contact supported but not detected the value is not trusted.
 *
 * @example
 * ```ts
 * parseHeartRate(Uint8Array.of(0x00, 72)).readings[0].value; // 72
 * ```
 */
export function parseHeartRate(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const rate = flags & 0x01 ? r.u16('heart rate (u16)') : r.u8('heart rate (u8)');
  const contactSupported = (flags & 0x04) !== 0;
  const contactDetected = (flags & 0x02) !== 0;
  const energyKj = flags & 0x08 ? r.u16('energy expended') : undefined;
  const rrIntervalsS: number[] = [];
  if (flags & 0x10) {
    if (r.remaining === 0 || r.remaining % 2 !== 0) {
      throw new DriverError('BAD_LENGTH', 'RR intervals must be whole u16 values', {
        offset: r.offset,
      });
    }
    while (r.remaining > 0) {
      rrIntervalsS.push(r.u16('RR interval') / 1024);
    }
  }

  const noContact = contactSupported && !contactDetected;
  const quality: QualityFlag[] = noContact ? ['probe-off'] : [];
  const reading: DriverReading = noContact
    ? { code: 'heart-rate', dataAbsentReason: 'temp-unknown', quality }
    : { code: 'heart-rate', value: rate, unit: '/min', quality };

  return {
    characteristic: 'Heart Rate Measurement',
    fields: {
      flags,
      heartRate: rate,
      sensorContact: contactSupported ? contactDetected : 'not supported',
      ...(energyKj === undefined ? {} : { energyExpendedKj: energyKj }),
      ...(flags & 0x10 ? { rrIntervalsS } : {}),
    },
    readings: [reading],
  };
}
