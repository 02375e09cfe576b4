import type {
  Evidence,
  Explanation,
  PatientProfile,
  Reading,
  RuleOutcome,
  TrendRule,
} from './types.js';

/** The rise a trend rule measured: the lowest reading in the window and the latest. */
export interface TrendMeasure {
  rise: number;
  lowest: Reading;
  latest: Reading;
}

/**
 * Measures the rise of the latest reading over the lowest earlier reading within the rule's
 * window. `samples` are one patient's readings of the rule's code, in any order.
 */
export function measureTrend(
  rule: TrendRule,
  samples: readonly Reading[],
): TrendMeasure | undefined {
  if (samples.length < 2) {
    return undefined;
  }

  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const latest = sorted[sorted.length - 1];
  const window = sorted.filter((r) => r !== latest && latest.at - r.at <= rule.windowMs);
  if (window.length === 0) {
    return undefined;
  }
  const lowest = window.reduce((lo, r) => (r.value < lo.value ? r : lo));

  return { rise: latest.value - lowest.value, lowest, latest };
}

function evidenceOf(r: Reading): Evidence {
  return {
    code: r.code,
    value: r.value,
    unit: r.unit,
    at: new Date(r.at).toISOString(),
    observationId: r.observationId,
    deviceId: r.deviceId,
  };
}

function explainTrend(rule: TrendRule, m: TrendMeasure | undefined): Explanation {
  const days = Math.round((rule.windowMs / 86_400_000) * 10) / 10;
  const rise = m === undefined ? 0 : Math.round(m.rise * 100) / 100;

  return {
    ruleId: rule.id,
    ruleKind: 'trend',
    summary: `${rule.code} rose ${rise} ${m?.latest.unit ?? ''} within ${days} d (limit ${rule.riseBy})`,
    thresholds: {
      code: rule.code,
      windowMs: rule.windowMs,
      riseBy: rule.riseBy,
      clearRiseBy: rule.clearRiseBy,
      minLatest: rule.minLatest,
      condition: rule.condition,
    },
    evidence: m === undefined ? [] : [evidenceOf(m.lowest), evidenceOf(m.latest)],
  };
}

/**
 * Evaluates a trend rule after a new reading: fires when the rise exceeds `riseBy` (and the
 * latest value reaches `minLatest`), clears a firing trend once the rise is back to
 * `clearRiseBy` or less. Returns nothing when the state does not change. Pure.
 *
 * @example
 * ```ts
 * evaluateTrend(weightGain, weights, profile, false)?.action; // 'fire'
 * ```
 */
export function evaluateTrend(
  rule: TrendRule,
  samples: readonly Reading[],
  profile: PatientProfile,
  firing: boolean,
): RuleOutcome | undefined {
  if (rule.condition !== undefined && !profile.conditions.includes(rule.condition)) {
    return undefined;
  }

  const m = measureTrend(rule, samples);
  const high = m !== undefined && m.rise > rule.riseBy;
  const hot = rule.minLatest === undefined || (m !== undefined && m.latest.value >= rule.minLatest);
  const base = { ruleId: rule.id, code: rule.code, patientId: profile.patientId };

  if (!firing && high && hot) {
    const explanation = explainTrend(rule, m);

    return { ...base, action: 'fire', severity: rule.severity, title: rule.title, explanation };
  }
  if (firing && (m === undefined || m.rise <= rule.clearRiseBy)) {
    return { ...base, action: 'clear', explanation: explainTrend(rule, m) };
  }

  return undefined;
}
