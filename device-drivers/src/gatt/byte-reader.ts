import { DriverError } from '../errors.js';
import { parseFloat32, parseSfloat, type MedicalNumber } from './ieee11073.js';

/** A device time: the clock's reading, or why there is none. */
export type DeviceClock = { ok: true; date: Date } | { ok: false };

/**
 * Reads little-endian GATT fields in order; every read past the end throws `TRUNCATED`
 * with the offset of the field that was cut, naming it.
 *
 * @example
 * ```ts
 * const r = new ByteReader(bytes);
 * const flags = r.u8('flags');
 * ```
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset = 0;
  #view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  #take(size: number, field: string): number {
    if (this.offset + size > this.bytes.length) {
      const have = this.bytes.length - this.offset;
      throw new DriverError('TRUNCATED', `${field} needs ${size} bytes, ${have} left`, {
        offset: this.offset,
      });
    }
    const at = this.offset;
    this.offset += size;

    return at;
  }

  u8(field: string): number {
    return this.#view.getUint8(this.#take(1, field));
  }

  u16(field: string): number {
    return this.#view.getUint16(this.#take(2, field), true);
  }

  s16(field: string): number {
    return this.#view.getInt16(this.#take(2, field), true);
  }

  u24(field: string): number {
    const at = this.#take(3, field);

    return this.#view.getUint16(at, true) | (this.#view.getUint8(at + 2) << 16);
  }

  u32(field: string): number {
    return this.#view.getUint32(this.#take(4, field), true);
  }

  sfloat(field: string): MedicalNumber {
    return parseSfloat(this.u16(field));
  }

  float32(field: string): MedicalNumber {
    return parseFloat32(this.u32(field));
  }

  /**
   * [Bluetooth GSS: Date Time] year u16 (1582-9999, 0 unknown), month (1-12, 0 unknown),
   * day (1-31, 0 unknown), hours (0-23), minutes (0-59), seconds (0-59). Read as the
   * agent's local time: the devices carry no time zone, and the agent corrects skew.
   */
  dateTime(field: string): DeviceClock {
    const at = this.offset;
    const year = this.u16(field);
    const [month, day, hours, minutes, seconds] = [1, 2, 3, 4, 5].map(() => this.u8(field));
    const bad = (what: string) =>
      new DriverError('BAD_VALUE', `${field}: ${what} out of range`, { offset: at });
    if ((year !== 0 && (year < 1582 || year > 9999)) || month > 12 || day > 31) {
      throw bad('date');
    }
    if (hours > 23 || minutes > 59 || seconds > 59) {
      throw bad('time');
    }
    if (year === 0 || month === 0 || day === 0) {
      return { ok: false };
    }

    const date = new Date(year, month - 1, day, hours, minutes, seconds);
    if (date.getDate() !== day) {
      throw bad('day of month');
    }

    return { ok: true, date };
  }
}
