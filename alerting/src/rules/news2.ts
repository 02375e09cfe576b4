import type {
  Consciousness,
  Evidence,
  Explanation,
  News2Rule,
  PatientProfile,
  Reading,
  RuleOutcome,
  Severity,
} from './types.js';

/** The NEWS2 parameters read from devices, by vital code. */
export const NEWS2_CODES = ['resp-rate', 'spo2', 'bp-systolic', 'heart-rate', 'body-temp'] as const;

/** Latest readings NEWS2 may use, keyed by vital code. */
export type News2Readings = Partial<Record<(typeof NEWS2_CODES)[number], Reading>>;

/** One scored parameter. */
export interface News2Part {
  parameter: string;
  value: number | string;
  score: number;
  reading?: Reading;
}

/** A NEWS2 result and the clinical risk band it maps to. */
export interface News2Score {
  total: number;
  parts: News2Part[];
  /** Device parameters with no usable reading; the score is then a lower bound. */
  missing: string[];
  /** [RCP NEWS2 chart 2] 0–4 low, a single 3 low-medium, 5–6 medium, ≥ 7 high. */
  band: 'low' | 'low-medium' | 'medium' | 'high';
}

// Each table lists [upper bound inclusive, score] in rising order. [RCP NEWS2 2017, chart 1]
type Bands = ReadonlyArray<readonly [number, number]>;
const RESP_RATE: Bands = [
  [8, 3],
  [11, 1],
  [20, 0],
  [24, 2],
  [Infinity, 3],
];
const SPO2_SCALE_1: Bands = [
  [91, 3],
  [93, 2],
  [95, 1],
  [Infinity, 0],
];
const SPO2_SCALE_2_AIR: Bands = [
  [83, 3],
  [85, 2],
  [87, 1],
  [Infinity, 0],
];
// Scale 2 on oxygen: 88–92 scores 0, then 93–94 → 1, 95–96 → 2, ≥ 97 → 3.
const SPO2_SCALE_2_O2: Bands = [
  [83, 3],
  [85, 2],
  [87, 1],
  [92, 0],
  [94, 1],
  [96, 2],
  [Infinity, 3],
];
const SYSTOLIC: Bands = [
  [90, 3],
  [100, 2],
  [110, 1],
  [219, 0],
  [Infinity, 3],
];
const PULSE: Bands = [
  [40, 3],
  [50, 1],
  [90, 0],
  [110, 1],
  [130, 2],
  [Infinity, 3],
];
const TEMPERATURE: Bands = [
  [35.0, 3],
  [36.0, 1],
  [38.0, 0],
  [39.0, 1],
  [Infinity, 2],
];

function band(table: Bands, value: number, decimals = 0): number {
  // Devices report decimals; round to the chart's resolution before looking up the band.
  const f = 10 ** decimals;
  const v = Math.round(value * f) / f;

  return table.find(([upper]) => v <= upper)?.[1] ?? 0;
}

function scoreConsciousness(c: Consciousness): number {
  return c === 'A' ? 0 : 3;
}

function spo2Table(profile: PatientProfile): Bands {
  if (profile.spo2Scale === 1) {
    return SPO2_SCALE_1;
  }

  return profile.onOxygen ? SPO2_SCALE_2_O2 : SPO2_SCALE_2_AIR;
}

/**
 * Scores NEWS2 from the latest readings and the clinician-set profile (SpO2 scale, air or
 * oxygen, ACVPU). Pure.
 *
 * @example
 * ```ts
 * scoreNews2({ 'resp-rate': r, spo2: s, … }, profile).band; // 'medium'
 * ```
 */
export function scoreNews2(latest: News2Readings, profile: PatientProfile): News2Score {
  const tables: Array<[(typeof NEWS2_CODES)[number], Bands, number]> = [
    ['resp-rate', RESP_RATE, 0],
    ['spo2', spo2Table(profile), 0],
    ['bp-systolic', SYSTOLIC, 0],
    ['heart-rate', PULSE, 0],
    ['body-temp', TEMPERATURE, 1],
  ];
  const parts: News2Part[] = [];
  const missing: string[] = [];
  for (const [code, table, decimals] of tables) {
    const reading = latest[code];
    if (reading === undefined) {
      missing.push(code);
    } else {
      parts.push({
        parameter: code,
        value: reading.value,
        score: band(table, reading.value, decimals),
        reading,
      });
    }
  }
  parts.push({
    parameter: 'air-or-oxygen',
    value: profile.onOxygen ? 'oxygen' : 'air',
    score: profile.onOxygen ? 2 : 0,
  });
  parts.push({
    parameter: 'consciousness',
    value: profile.consciousness,
    score: scoreConsciousness(profile.consciousness),
  });

  const total = parts.reduce((sum, p) => sum + p.score, 0);
  const single3 = parts.some((p) => p.score === 3);

  return { total, parts, missing, band: bandOf(total, single3) };
}

function bandOf(total: number, single3: boolean): News2Score['band'] {
  if (total >= 7) {
    return 'high';
  }
  if (total >= 5) {
    return 'medium';
  }

  return single3 ? 'low-medium' : 'low';
}

/** The alert severity of a NEWS2 band (`low` raises nothing). */
export function news2Severity(band: News2Score['band']): Severity | undefined {
  return band === 'low' ? undefined : band;
}

/** The explanation of a NEWS2 score. */
export function explainNews2(rule: News2Rule, score: News2Score): Explanation {
  const evidence: Evidence[] = score.parts.map((p) => ({
    code: p.parameter,
    value: p.value,
    unit: p.reading?.unit,
    at: p.reading === undefined ? '' : new Date(p.reading.at).toISOString(),
    observationId: p.reading?.observationId,
    deviceId: p.reading?.deviceId,
    score: p.score,
  }));
  const partial = score.missing.length > 0 ? ` (partial: no ${score.missing.join(', ')})` : '';

  return {
    ruleId: rule.id,
    ruleKind: 'news2',
    summary: `NEWS2 ${score.total}, ${score.band} clinical risk${partial}`,
    thresholds: { lowMedium: 'any parameter 3', medium: 5, high: 7, maxAgeMs: rule.maxAgeMs },
    evidence,
  };
}

/**
 * Evaluates the NEWS2 rule for a patient from the latest usable readings: fires (or
 * re-fires at a new band) when the band is low-medium or above, clears when it falls to low.
 */
export function evaluateNews2(
  rule: News2Rule,
  latest: News2Readings,
  profile: PatientProfile,
  now: number,
): { score: News2Score; outcome: RuleOutcome } {
  const fresh: News2Readings = {};
  for (const code of NEWS2_CODES) {
    const r = latest[code];
    if (r !== undefined && now - r.at <= rule.maxAgeMs) {
      fresh[code] = r;
    }
  }
  const score = scoreNews2(fresh, profile);
  const severity = news2Severity(score.band);
  const explanation = explainNews2(rule, score);
  const base = { ruleId: rule.id, code: 'news2', patientId: profile.patientId, explanation };

  if (severity === undefined) {
    return { score, outcome: { ...base, action: 'clear' } };
  }

  const title = `${rule.title}: ${score.total} (${severity})`;

  return { score, outcome: { ...base, action: 'fire', severity, title } };
}
