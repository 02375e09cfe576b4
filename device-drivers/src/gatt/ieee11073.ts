import type { DataAbsentReason } from '@sparkden/protocol';

/**
 * An IEEE 11073-20601 number: a value, or the reason there is none. Special values never
 * become numbers. [IEEE 11073-20601 §F.6: SFLOAT-Type and FLOAT-Type special values]
 */
export type MedicalNumber =
  | { ok: true; mantissa: number; exponent: number; value: number }
  | { ok: false; reason: DataAbsentReason; special: 'NaN' | 'NRes' | '+INF' | '-INF' | 'reserved' };

/** mantissa × 10^exponent without binary noise (`1234e-1` → 123.4, not 123.40000000000001). */
export function scaleDecimal(mantissa: number, exponent: number): number {
  if (exponent >= 0) {
    return mantissa * 10 ** exponent;
  }

  if (-exponent > 20) {
    return mantissa / 10 ** -exponent;
  }

  return Number((mantissa / 10 ** -exponent).toFixed(-exponent));
}

function special(kind: 'NaN' | 'NRes' | '+INF' | '-INF' | 'reserved'): MedicalNumber {
  const reasons = {
    NaN: 'not-a-number',
    NRes: 'error',
    '+INF': 'positive-infinity',
    '-INF': 'negative-infinity',
    reserved: 'error',
  } as const;

  return { ok: false, reason: reasons[kind], special: kind };
}

/**
 * Decodes a 16-bit SFLOAT: 4-bit signed exponent, 12-bit signed mantissa.
 * [IEEE 11073-20601 Annex F (MDER), SFLOAT-Type; Bluetooth PHD Transcoding White Paper
 * §2.2] The special values are whole bit patterns, exponent 0 with a reserved mantissa:
 * 0x07FF NaN, 0x0800 NRes, 0x07FE +INF, 0x0802 -INF, 0x0801 reserved. With any other
 * exponent the same mantissa is a number: 0xF7FF is 2047 × 10^-1 = 204.7.
 *
 * @example
 * ```ts
 * parseSfloat(0xf04c); // { ok: true, value: 7.6, … }
 * ```
 */
export function parseSfloat(raw: number): MedicalNumber {
  const m = raw & 0x0fff;
  const e = (raw >> 12) & 0x0f;
  switch (raw & 0xffff) {
    case 0x07ff:
      return special('NaN');
    case 0x0800:
      return special('NRes');
    case 0x07fe:
      return special('+INF');
    case 0x0802:
      return special('-INF');
    case 0x0801:
      return special('reserved');
  }

  const mantissa = m >= 0x0800 ? m - 0x1000 : m;
  const exponent = e >= 0x8 ? e - 0x10 : e;

  return { ok: true, mantissa, exponent, value: scaleDecimal(mantissa, exponent) };
}

/**
 * Decodes a 32-bit FLOAT: 8-bit signed exponent, 24-bit signed mantissa.
 * [IEEE 11073-20601 Annex F (MDER), FLOAT-Type; Bluetooth PHD Transcoding White Paper §2.2]
 * Special values are whole bit patterns with exponent 0: 0x007FFFFF NaN, 0x00800000 NRes,
 * 0x007FFFFE +INF, 0x00800002 -INF, 0x00800001 reserved; any other exponent is a number.
 */
export function parseFloat32(raw: number): MedicalNumber {
  const m = raw & 0x00ffffff;
  const e = (raw >>> 24) & 0xff;
  switch (raw >>> 0) {
    case 0x007fffff:
      return special('NaN');
    case 0x00800000:
      return special('NRes');
    case 0x007ffffe:
      return special('+INF');
    case 0x00800002:
      return special('-INF');
    case 0x00800001:
      return special('reserved');
  }

  const mantissa = m >= 0x800000 ? m - 0x1000000 : m;
  const exponent = e >= 0x80 ? e - 0x100 : e;

  return { ok: true, mantissa, exponent, value: scaleDecimal(mantissa, exponent) };
}

/** Encodes an SFLOAT (simulators, tests). `mantissa` must fit 12 bits signed. */
export function encodeSfloat(mantissa: number, exponent: number): number {
  return ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
}

/** Encodes a FLOAT (simulators, tests). */
export function encodeFloat32(mantissa: number, exponent: number): number {
  return (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
}
