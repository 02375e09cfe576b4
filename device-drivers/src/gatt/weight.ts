import { ByteReader } from './byte-reader.js';
import { withClock, type GattContext, type GattDecoded } from './gatt-result.js';
import { scaleDecimal } from './ieee11073.js';

/** [GSS: Weight Measurement] 0xFFFF in the weight field: measurement unsuccessful. */
const UNSUCCESSFUL = 0xffff;

function roundTo(value: number, step: number | undefined): number {
  if (!step) {
    return value;
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);

  return Number((Math.round(value / step) * step).toFixed(decimals));
}

/**
 * Weight Measurement (0x2A9D). [Bluetooth GSS: Weight Measurement]
 * flags bit 0: imperial (lb, in; else kg, m); bit 1: time stamp; bit 2: user id (u8);
 * bit 3: BMI (u16, 0.1 kg/m²) and height (u16, 0.001 m or 0.1 in). Weight u16 in
 * 0.005 kg or 0.01 lb steps, rounded to the Weight Scale Feature resolution when known.
 *
 * @example
 * ```ts
 * parseWeight(Uint8Array.of(0x00, 0x40, 0x3d)).readings[0].value; // 78.4
 * ```
 */
export function parseWeight(bytes: Uint8Array, context: GattContext = {}): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const raw = r.u16('weight');
  const clock = flags & 0x02 ? r.dateTime('time stamp') : undefined;
  const userId = flags & 0x04 ? r.u8('user id') : undefined;
  const bmiRaw = flags & 0x08 ? r.u16('BMI') : undefined;
  const heightRaw = flags & 0x08 ? r.u16('height') : undefined;

  const imperial = (flags & 0x01) !== 0;
  const unit = imperial ? '[lb_av]' : 'kg';
  const exact = imperial ? scaleDecimal(raw, -2) : scaleDecimal(raw * 5, -3);
  const value = roundTo(exact, imperial ? context.weightResolutionLb : context.weightResolutionKg);
  const reading =
    raw === UNSUCCESSFUL
      ? { code: 'body-weight' as const, quality: [], dataAbsentReason: 'error' as const }
      : { code: 'body-weight' as const, quality: [], value, unit };

  return {
    characteristic: 'Weight Measurement',
    fields: {
      flags,
      weight: raw === UNSUCCESSFUL ? 'unsuccessful' : exact,
      unit,
      ...(clock ? { timeStamp: clock.ok ? clock.date : 'unknown' } : {}),
      ...(userId === undefined ? {} : { userId: userId === 0xff ? 'unknown' : userId }),
      ...(bmiRaw === undefined ? {} : { bmi: scaleDecimal(bmiRaw, -1) }),
      ...(heightRaw === undefined
        ? {}
        : { height: imperial ? scaleDecimal(heightRaw, -1) : scaleDecimal(heightRaw, -3) }),
    },
    readings: [withClock(reading, clock)],
  };
}
