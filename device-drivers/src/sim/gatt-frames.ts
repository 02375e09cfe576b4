import { encodeFloat32, encodeSfloat } from '../gatt/ieee11073.js';
import type { SimulatedVitals } from './scenarios.js';

/** Little-endian byte writer for simulated characteristic values. */
class Bytes {
  readonly out: number[] = [];
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  dateTime(d: Date): this {
    return this.u16(d.getFullYear())
      .u8(d.getMonth() + 1)
      .u8(d.getDate())
      .u8(d.getHours())
      .u8(d.getMinutes())
      .u8(d.getSeconds());
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** [GSS 0x2A37] u8 rate, sensor contact supported; not detected with the finger out. */
export function heartRateFrame(v: SimulatedVitals): Uint8Array {
  return new Bytes()
    .u8(v.fingerOut ? 0x04 : 0x06)
    .u8(v.pulseRate)
    .done();
}

/** [GSS 0x2A35] mmHg, time stamp, pulse, user 1, status (cuff loose, irregular pulse). */
export function bloodPressureFrame(v: SimulatedVitals, at: Date): Uint8Array {
  const mean = Math.round((v.systolic + 2 * v.diastolic) / 3);
  const status = (v.cuffLoose ? 0x02 : 0) | (v.irregularPulse ? 0x04 : 0);

  return new Bytes()
    .u8(0x1e)
    .u16(encodeSfloat(v.systolic, 0))
    .u16(encodeSfloat(v.diastolic, 0))
    .u16(encodeSfloat(mean, 0))
    .dateTime(at)
    .u16(encodeSfloat(v.pulseRate, 0))
    .u8(1)
    .u16(status)
    .done();
}

/** [GSS 0x2A36] current cuff pressure, the other two values NaN. */
export function cuffPressureFrame(mmHg: number): Uint8Array {
  return new Bytes().u8(0x00).u16(encodeSfloat(mmHg, 0)).u16(0x07ff).u16(0x07ff).done();
}

/** [GSS 0x2A1C] Celsius FLOAT with one decimal, time stamp, type 1 (armpit). */
export function temperatureFrame(v: SimulatedVitals, at: Date): Uint8Array {
  return new Bytes()
    .u8(0x06)
    .u32(encodeFloat32(Math.round(v.temperature * 10), -1))
    .dateTime(at)
    .u8(1)
    .done();
}

/** [GSS 0x2A5F] SpO2PR-Normal with device and sensor status; NaN with the finger out. */
export function plxContinuousFrame(v: SimulatedVitals): Uint8Array {
  const spo2 = v.fingerOut ? 0x07ff : encodeSfloat(v.spo2, 0);
  const pulse = v.fingerOut ? 0x07ff : encodeSfloat(v.pulseRate, 0);
  const device = (v.fingerOut ? 1 << 11 : 0) | (v.searching ? 1 << 9 : 0);

  return new Bytes()
    .u8(0x08)
    .u16(spo2)
    .u16(pulse)
    .u16(device & 0xffff)
    .u8(device >> 16)
    .done();
}

/**
 * [GSS 0x2A5E] SpO2 and pulse with time stamp, measurement status and device and sensor
 * status; NaN with the finger out (sensor unconnected to user, bit 11), early estimated
 * data (measurement status bit 6) while searching.
 */
export function plxSpotCheckFrame(v: SimulatedVitals, at: Date): Uint8Array {
  const spo2 = v.fingerOut ? 0x07ff : encodeSfloat(v.spo2, 0);
  const pulse = v.fingerOut ? 0x07ff : encodeSfloat(v.pulseRate, 0);
  const measurement = v.searching ? 1 << 6 : 0;
  const device = v.fingerOut ? 1 << 11 : 0;

  return new Bytes()
    .u8(0x07)
    .u16(spo2)
    .u16(pulse)
    .dateTime(at)
    .u16(measurement)
    .u16(device & 0xffff)
    .u8(device >> 16)
    .done();
}

/**
 * [GSS 0x2A18] sequence, base time, concentration in kg/L (mg/dL × 10^-5), capillary/finger;
 * flags bit 4 when a Glucose Measurement Context follows.
 */
export function glucoseFrame(
  v: SimulatedVitals,
  sequence: number,
  at: Date,
  contextFollows = false,
): Uint8Array {
  return new Bytes()
    .u8(contextFollows ? 0x12 : 0x02)
    .u16(sequence)
    .dateTime(at)
    .u16(encodeSfloat(v.glucose, -5))
    .u8(0x11)
    .done();
}

/**
 * [GSS 0x2A34] the context of record `sequence`: meal (flags bit 1: preprandial on every
 * other record, else postprandial) and tester/health (bit 2: self, no health issues).
 */
export function glucoseContextFrame(sequence: number): Uint8Array {
  const meal = sequence % 4 === 1 ? 1 : 2;

  return new Bytes().u8(0x06).u16(sequence).u8(meal).u8(0x51).done();
}

/** Whether the simulated meter sends a context with record `sequence` (the odd ones). */
export function hasGlucoseContext(sequence: number): boolean {
  return sequence % 2 === 1;
}

/** [GSS 0x2A9D] SI units with time stamp, weight in 0.005 kg steps. */
export function weightFrame(v: SimulatedVitals, at: Date): Uint8Array {
  return new Bytes()
    .u8(0x02)
    .u16(Math.round(v.weight / 0.005))
    .dateTime(at)
    .done();
}

/** [GSS 0x2A9E] time stamp supported, weight resolution 0.1 kg (code 3). */
export const WEIGHT_FEATURE_FRAME = new Bytes().u32(0x01 | (3 << 3)).done();
