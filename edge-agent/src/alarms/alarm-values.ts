import {
  BP_COMPONENTS,
  VITAL_CODES,
  VITAL_CODE_KEYS,
  type Observation,
  type VitalCode,
} from '@sparkden/protocol';

/**
 * The codes a local alarm rule may name: every vital with a value, and the blood-pressure
 * components, which arrive inside a `bp-panel`. The panel itself has no single value to
 * compare (its own `value` is a cuff pressure during inflation), so it is not one of them.
 */
export const LOCAL_ALARM_CODES = VITAL_CODE_KEYS.filter((code) => code !== 'bp-panel') as [
  VitalCode,
  ...VitalCode[],
];

/** From each accepted unit to the code's preferred unit, in which rule thresholds are written. */
const TO_PREFERRED: Record<string, (v: number) => number> = {
  // [UCUM: 1 kPa = 7.500 62 mm[Hg]]
  kPa: (v) => v * 7.500_615,
  // [UCUM: [degF] = 5/9 K, offset 459.67]
  '[degF]': (v) => ((v - 32) * 5) / 9,
  // [UCUM: [lb_av] = 0.453 592 37 kg]
  '[lb_av]': (v) => v * 0.453_592_37,
  // Glucose, molar mass 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL.
  'mmol/L': (v) => v * 18.0156,
};

/**
 * Converts a value in one of a code's accepted UCUM units to its preferred unit
 * (`VITAL_CODES[code].unit`); `undefined` when the unit is not one it knows.
 *
 * @example
 * ```ts
 * toPreferredUnit('body-temp', 102.2, '[degF]'); // 39
 * ```
 */
export function toPreferredUnit(code: VitalCode, value: number, unit: string): number | undefined {
  const preferred = VITAL_CODES[code].unit;
  if (unit === preferred) {
    return value;
  }
  const convert = TO_PREFERRED[unit];
  const accepted = (VITAL_CODES[code].units as readonly string[]).includes(unit);

  return accepted && convert !== undefined ? convert(value) : undefined;
}

/**
 * The value a rule on `code` compares in an observation, in the code's preferred unit: the
 * observation's own value (an MQTT field mapped to `bp-systolic` is a reading of its own),
 * or the matching component of a blood-pressure panel. `undefined` when the observation
 * carries none (another code, a data-absent reason, an unknown unit).
 */
export function alarmValueOf(obs: Observation, code: VitalCode): number | undefined {
  const inPanel = obs.code === 'bp-panel' && (BP_COMPONENTS as readonly string[]).includes(code);
  const source =
    obs.code === code ? obs : inPanel ? obs.components?.find((c) => c.code === code) : undefined;
  if (source?.value === undefined) {
    return undefined;
  }

  return toPreferredUnit(code, source.value, source.unit ?? VITAL_CODES[code].unit);
}
