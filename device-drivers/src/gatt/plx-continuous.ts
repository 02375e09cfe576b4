import { ByteReader } from './byte-reader.js';
import { withhold, type GattDecoded } from './gatt-result.js';
import { judgePlx, plxReading } from './plx-status.js';

/**
 * PLX Continuous Measurement (0x2A5F). [Bluetooth GSS: PLX Continuous Measurement]
 * Always SpO2PR-Normal (SFLOAT SpO2 %, SFLOAT pulse /min); flags bit 0: SpO2PR-Fast;
 * bit 1: SpO2PR-Slow; bit 2: measurement status (u16); bit 3: device and sensor status
 * (u24); bit 4: pulse amplitude index (SFLOAT). Readings come from the Normal pair;
 * demonstration or test data (measurement status bit 10 or 11) is `withheld` instead.
 *
 * @example
 * ```ts
 * parsePlxContinuous(Uint8Array.of(0, 0x61, 0, 0x48, 0)).readings[0].value; // 97
 * ```
 */
export function parsePlxContinuous(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const spo2 = r.sfloat('SpO2 (normal)');
  const pulse = r.sfloat('pulse rate (normal)');
  const fast =
    flags & 0x01 ? { spo2: r.sfloat('SpO2 (fast)'), pulseRate: r.sfloat('PR (fast)') } : undefined;
  const slow =
    flags & 0x02 ? { spo2: r.sfloat('SpO2 (slow)'), pulseRate: r.sfloat('PR (slow)') } : undefined;
  const measurementStatus = flags & 0x04 ? r.u16('measurement status') : undefined;
  const deviceStatus = flags & 0x08 ? r.u24('device and sensor status') : undefined;
  const pai = flags & 0x10 ? r.sfloat('pulse amplitude index') : undefined;

  const judgement = judgePlx(measurementStatus, deviceStatus);

  return withhold(judgement.withheld, {
    characteristic: 'PLX Continuous Measurement',
    fields: {
      flags,
      normal: { spo2, pulseRate: pulse },
      ...(fast ? { fast } : {}),
      ...(slow ? { slow } : {}),
      ...(measurementStatus === undefined ? {} : { measurementStatus }),
      ...(deviceStatus === undefined ? {} : { deviceAndSensorStatus: deviceStatus }),
      ...(pai ? { pulseAmplitudeIndex: pai } : {}),
    },
    readings: [
      plxReading('spo2', spo2, '%', judgement),
      plxReading('heart-rate', pulse, '/min', judgement),
    ],
  });
}
