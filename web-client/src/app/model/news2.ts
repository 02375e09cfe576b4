import type { Explanation } from './alerts.js';

/** The NEWS2 parameters in chart order [RCP NEWS2 2017, chart 1]. */
export const NEWS2_PARAMETERS = [
  { key: 'resp-rate', label: 'Respiration rate', unit: '/min' },
  { key: 'spo2', label: 'SpO₂', unit: '%' },
  { key: 'oxygen', label: 'Air or oxygen', unit: '' },
  { key: 'bp-systolic', label: 'Systolic BP', unit: 'mmHg' },
  { key: 'heart-rate', label: 'Pulse', unit: '/min' },
  { key: 'consciousness', label: 'Consciousness', unit: '' },
  { key: 'body-temp', label: 'Temperature', unit: '°C' },
] as const;

/** One NEWS2 parameter with the value and score behind it. */
export interface News2Part {
  key: string;
  label: string;
  value?: number | string;
  unit: string;
  score?: number;
  at?: string;
}

/** A NEWS2 total, its clinical-risk band and its parts. */
export interface News2Breakdown {
  total: number;
  band: 'low' | 'low-medium' | 'medium' | 'high';
  parts: News2Part[];
  /** Parameters with no recent reading (the total then understates the risk). */
  missing: string[];
}

const ALIASES: Record<string, string> = {
  'supplemental-oxygen': 'oxygen',
  'air-or-oxygen': 'oxygen',
  o2: 'oxygen',
  acvpu: 'consciousness',
  pulse: 'heart-rate',
  temperature: 'body-temp',
  'respiratory-rate': 'resp-rate',
};

/** Words for the coded values of the non-numeric parameters [RCP NEWS2 2017: ACVPU]. */
const VALUE_LABELS: Record<string, string> = {
  air: 'Air',
  oxygen: 'Oxygen',
  A: 'Alert (A)',
  C: 'New confusion (C)',
  V: 'Voice (V)',
  P: 'Pain (P)',
  U: 'Unresponsive (U)',
};

/**
 * The clinical-risk band of a NEWS2 total: high at 7 or more, medium at 5–6, low-medium
 * when any single parameter scores 3, low otherwise [RCP NEWS2 2017, chart 2].
 */
export function news2Band(total: number, parts: readonly { score?: number }[]) {
  if (total >= 7) {
    return 'high' as const;
  }
  if (total >= 5) {
    return 'medium' as const;
  }

  return parts.some((p) => p.score === 3) ? ('low-medium' as const) : ('low' as const);
}

/** Reads a NEWS2 breakdown from a `news2` alert's explanation; undefined for other rules. */
export function readNews2(explanation: Explanation | undefined): News2Breakdown | undefined {
  if (!explanation || explanation.ruleKind !== 'news2') {
    return undefined;
  }

  const byKey = new Map(explanation.evidence.map((e) => [ALIASES[e.code] ?? e.code, e]));
  const parts: News2Part[] = NEWS2_PARAMETERS.map((p) => {
    const e = byKey.get(p.key);

    return {
      key: p.key,
      label: p.label,
      // The hub sends UCUM codes (`mm[Hg]`, `Cel`); people read the chart's own units.
      unit: p.unit === '' ? (e?.unit ?? '') : p.unit,
      value: typeof e?.value === 'string' ? (VALUE_LABELS[e.value] ?? e.value) : e?.value,
      score: e?.score,
      at: e?.at,
    };
  });
  const stated = explanation.thresholds.total ?? explanation.thresholds.score;
  const total =
    typeof stated === 'number' ? stated : parts.reduce((sum, p) => sum + (p.score ?? 0), 0);

  return {
    total,
    band: news2Band(total, parts),
    parts,
    missing: parts.filter((p) => p.value === undefined).map((p) => p.label),
  };
}

/**
 * A part counts as stale when it was measured this long before the newest part: NEWS2 is
 * meant to score one set of observations, and a value hours older may no longer hold.
 */
export const NEWS2_STALE_AFTER_MS = 60 * 60_000;

/** How much older than the newest part each part is (ms), or undefined when not stale. */
export function staleBy(parts: readonly News2Part[]): Map<string, number> {
  const times = parts.flatMap((p) => (p.at ? [Date.parse(p.at)] : []));
  const newest = Math.max(...times);
  const stale = new Map<string, number>();
  if (times.length === 0) {
    return stale;
  }

  for (const p of parts) {
    const lag = p.at ? newest - Date.parse(p.at) : 0;
    if (lag > NEWS2_STALE_AFTER_MS) {
      stale.set(p.key, lag);
    }
  }

  return stale;
}
