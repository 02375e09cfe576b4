import type { Observation } from '@sparkden/protocol';

import type { Reading } from './types.js';

// [UCUM] conversions into each code's preferred unit.
const CONVERT: Record<string, (v: number) => number> = {
  '[degF]': (v) => ((v - 32) * 5) / 9,
  kPa: (v) => v * 7.500_62,
  '[lb_av]': (v) => v * 0.453_592_37,
  'mmol/L': (v) => v * 18.016,
};

const PREFERRED: Record<string, string> = {
  '[degF]': 'Cel',
  kPa: 'mm[Hg]',
  '[lb_av]': 'kg',
  'mmol/L': 'mg/dL',
};

function normalise(value: number, unit: string): { value: number; unit: string } {
  const convert = CONVERT[unit];

  return convert ? { value: convert(value), unit: PREFERRED[unit] ?? unit } : { value, unit };
}

/**
 * Turns one observation into the numeric readings rules evaluate: its value, or each
 * blood-pressure component, in the preferred unit. Entered-in-error readings and readings
 * without a value yield nothing.
 *
 * @example
 * ```ts
 * toReadings(obs); // [{ code: 'spo2', value: 88, unit: '%', at: 1764…, … }]
 * ```
 */
export function toReadings(obs: Observation): Reading[] {
  if (obs.status === 'entered-in-error') {
    return [];
  }

  const base = {
    observationId: obs.id,
    patientId: obs.patient,
    deviceId: obs.device.id,
    at: Date.parse(obs.effectiveAt),
    quality: obs.quality,
    interpretation: obs.interpretation ?? [],
  };
  const parts = obs.components?.map((c) => ({ code: c.code, value: c.value, unit: c.unit })) ?? [];
  parts.push({ code: obs.code, value: obs.value, unit: obs.unit });

  return parts
    .filter((p) => p.value !== undefined && p.unit !== undefined)
    .map((p) => ({ ...base, code: p.code, ...normalise(p.value as number, p.unit as string) }));
}

/**
 * Quality flags that make a reading an artefact: threshold, NEWS2 and trend rules skip it
 * so a finger out of the probe never raises a desaturation alarm.
 */
export const ARTEFACT_FLAGS: readonly string[] = [
  'finger-out',
  'probe-off',
  'searching',
  'low-perfusion',
  'motion',
  'body-movement',
  'improper-position',
  'cuff-loose',
  'questionable',
  'sensor-fault',
  'pulse-out-of-range',
];

/** Whether a reading is trustworthy enough for a clinical rule. */
export function isClinicallyUsable(reading: Reading): boolean {
  return !reading.quality.some((q) => ARTEFACT_FLAGS.includes(q));
}
