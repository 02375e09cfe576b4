import { ByteReader } from './byte-reader.js';
import type { GattDecoded } from './gatt-result.js';

const MEALS: Record<number, string> = {
  1: 'preprandial',
  2: 'postprandial',
  3: 'fasting',
  4: 'casual',
  5: 'bedtime',
};
const TESTERS: Record<number, string> = {
  1: 'self',
  2: 'health care professional',
  3: 'lab test',
  15: 'not available',
};
const HEALTH: Record<number, string> = {
  1: 'minor health issues',
  2: 'major health issues',
  3: 'during menses',
  4: 'under stress',
  5: 'no health issues',
  15: 'not available',
};

/**
 * Glucose Measurement Context (0x2A34). [Bluetooth GSS: Glucose Measurement Context]
 * Sequence number u16 (matches a Glucose Measurement); flags bit 7: extended flags (u8);
 * bit 0: carbohydrate id (u8) and amount (SFLOAT kg); bit 1: meal (u8); bit 2: tester and
 * health (u8 nibbles); bit 3: exercise duration (u16 s) and intensity (u8 %); bit 4:
 * medication id (u8) and amount (SFLOAT, kg or, with bit 5, litres); bit 6: HbA1c (SFLOAT %).
 * It describes a measurement and yields no reading of its own.
 *
 * @example
 * ```ts
 * parseGlucoseContext(bytes).fields.meal; // 'preprandial'
 * ```
 */
export function parseGlucoseContext(bytes: Uint8Array): GattDecoded {
  const r = new ByteReader(bytes);
  const flags = r.u8('flags');
  const fields: Record<string, unknown> = { flags, sequenceNumber: r.u16('sequence number') };
  if (flags & 0x80) {
    fields.extendedFlags = r.u8('extended flags');
  }
  if (flags & 0x01) {
    fields.carbohydrateId = r.u8('carbohydrate id');
    fields.carbohydrateKg = r.sfloat('carbohydrate');
  }
  if (flags & 0x02) {
    const meal = r.u8('meal');
    fields.meal = MEALS[meal] ?? `reserved (${meal})`;
  }
  if (flags & 0x04) {
    const th = r.u8('tester-health');
    fields.tester = TESTERS[th & 0x0f] ?? `reserved (${th & 0x0f})`;
    fields.health = HEALTH[th >> 4] ?? `reserved (${th >> 4})`;
  }
  if (flags & 0x08) {
    fields.exerciseDurationS = r.u16('exercise duration');
    fields.exerciseIntensityPercent = r.u8('exercise intensity');
  }
  if (flags & 0x10) {
    fields.medicationId = r.u8('medication id');
    fields[flags & 0x20 ? 'medicationL' : 'medicationKg'] = r.sfloat('medication');
  }
  if (flags & 0x40) {
    fields.hba1cPercent = r.sfloat('HbA1c');
  }

  return { characteristic: 'Glucose Measurement Context', fields, readings: [] };
}
