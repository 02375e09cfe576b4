/** The scenarios simulators play. Each device plays those that make sense for it. */
export const SCENARIOS = [
  'normal',
  'desaturation',
  'hypertensive',
  'fever',
  'finger-out',
  'cuff-loose',
  'flaky-link',
] as const;

/** One of {@link SCENARIOS}. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** The simulated patient and device at one moment. */
export interface SimulatedVitals {
  spo2: number;
  pulseRate: number;
  fingerOut: boolean;
  /** Just after the finger goes back in: the oximeter is acquiring. */
  searching: boolean;
  systolic: number;
  diastolic: number;
  cuffLoose: boolean;
  irregularPulse: boolean;
  /** Body temperature in °C. */
  temperature: number;
  /** Capillary glucose in mg/dL. */
  glucose: number;
  /** Body weight in kg. */
  weight: number;
  respRate: number;
}

/** Linear interpolation between (t0, a) and (t1, b), clamped. */
function ramp(t: number, t0: number, t1: number, a: number, b: number): number {
  const k = Math.min(1, Math.max(0, (t - t0) / (t1 - t0)));

  return a + (b - a) * k;
}

/**
 * The desaturation cycle (60 s): normal for 5 s, a fall to 85 % by 12 s, held, then a
 * recovery from 38 s to 44 s. SpO2 stays below 90 % from about 9 s to 41 s of each cycle:
 * well over the 10 s the hub's demo rule needs.
 */
function desaturationSpo2(t: number): number {
  const c = t % 60;
  if (c < 38) {
    return ramp(c, 5, 12, 97, 85);
  }

  return ramp(c, 38, 44, 85, 97);
}

/**
 * Vitals at `t` seconds into a scenario. Deterministic: the same `t` gives the same numbers,
 * with a slow breathing-like wobble so successive readings are not identical.
 *
 * @example
 * ```ts
 * vitalsAt('desaturation', 20).spo2; // 85
 * ```
 */
export function vitalsAt(scenario: ScenarioName, t: number): SimulatedVitals {
  const wobble = Math.sin(t / 4);
  const normal: SimulatedVitals = {
    spo2: Math.round(97 + wobble),
    pulseRate: Math.round(72 + 3 * wobble),
    fingerOut: false,
    searching: false,
    systolic: 122,
    diastolic: 78,
    cuffLoose: false,
    irregularPulse: false,
    temperature: 36.8,
    glucose: 105,
    weight: 78.4,
    respRate: 14,
  };

  switch (scenario) {
    case 'normal':
    case 'flaky-link':
      return normal;
    case 'desaturation': {
      const spo2 = Math.round(desaturationSpo2(t));
      return { ...normal, spo2, pulseRate: Math.round(72 + (97 - spo2) * 2 + wobble) };
    }
    case 'hypertensive':
      return { ...normal, systolic: 168, diastolic: 104, pulseRate: 88 };
    case 'fever':
      return { ...normal, temperature: 39.2, pulseRate: 104, respRate: 22 };
    case 'finger-out': {
      const c = t % 30;
      return { ...normal, fingerOut: c >= 10 && c < 20, searching: c >= 20 && c < 22 };
    }
    case 'cuff-loose':
      return { ...normal, cuffLoose: true, irregularPulse: t % 20 > 10 };
  }
}
