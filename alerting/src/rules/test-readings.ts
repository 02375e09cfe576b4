import type { Reading } from './types.js';

/** Builds a reading for rule tests: `at` in seconds from a fixed epoch. */
export function reading(
  code: string,
  value: number,
  atSeconds: number,
  extra: Partial<Reading> = {},
): Reading {
  return {
    observationId: `obs-${code}-${atSeconds}-${value}`,
    patientId: 'p-1',
    deviceId: 'dev-1',
    code,
    value,
    unit: '%',
    at: T0 + atSeconds * 1000,
    quality: [],
    interpretation: [],
    ...extra,
  };
}

/** The fixed epoch of rule tests: 2026-01-05T08:00:00Z. */
export const T0 = Date.parse('2026-01-05T08:00:00Z');
