import type { Explanation, RuleOutcome, StaleRule } from './types.js';

/** When a device was last heard from, as the engine keeps it. */
export interface DeviceSeen {
  deviceId: string;
  patientId: string;
  /** Every code it has reported (a multi-parameter oximeter sends SpO2 and pulse). */
  codes: readonly string[];
  /** When it was last heard from (epoch ms): its newest reading, or a late batch's arrival. */
  lastAt: number;
  /** Its own expected cadence, when configured. */
  cadenceMs?: number;
}

/** The alert code of a stale-data alert about one device. */
export function staleCode(deviceId: string): string {
  return `device/${deviceId}`;
}

function explainStale(rule: StaleRule, d: DeviceSeen, cadenceMs: number, now: number): Explanation {
  const silentS = Math.round((now - d.lastAt) / 1000);
  const codes = d.codes.join(', ');

  return {
    ruleId: rule.id,
    ruleKind: 'stale',
    summary: `no data (${codes}) from device for ${silentS} s (expected every ${cadenceMs / 1000} s)`,
    thresholds: { cadenceMs, factor: rule.factor, limitMs: cadenceMs * rule.factor },
    evidence: d.codes.map((code) => ({
      code,
      value: 'last heard from',
      at: new Date(d.lastAt).toISOString(),
      deviceId: d.deviceId,
    })),
  };
}

/**
 * The cadence a device is expected to keep: its own when set, else the slowest default of
 * the codes it reports (any reading counts as hearing from it), else none.
 */
export function cadenceOf(rule: StaleRule, device: DeviceSeen): number | undefined {
  if (device.cadenceMs !== undefined) {
    return device.cadenceMs;
  }
  const defaults = device.codes.flatMap((c) => {
    const ms = rule.defaultCadenceMs[c];

    return ms === undefined ? [] : [ms];
  });

  return defaults.length === 0 ? undefined : Math.max(...defaults);
}

/**
 * Evaluates the no-data rule for one device at `now`: fires when it has been silent for
 * longer than `factor` × its cadence ({@link cadenceOf}), clears when it reports again. A
 * device with no known cadence is never stale. Pure.
 *
 * @example
 * ```ts
 * evaluateStale(rule, seen, clock.now(), false)?.action; // 'fire'
 * ```
 */
export function evaluateStale(
  rule: StaleRule,
  device: DeviceSeen,
  now: number,
  firing: boolean,
): RuleOutcome | undefined {
  const cadenceMs = cadenceOf(rule, device);
  if (cadenceMs === undefined || cadenceMs <= 0) {
    return undefined;
  }

  const silent = now - device.lastAt > cadenceMs * rule.factor;
  const explanation = explainStale(rule, device, cadenceMs, now);
  const base = { ruleId: rule.id, code: staleCode(device.deviceId), patientId: device.patientId };

  if (silent && !firing) {
    return { ...base, action: 'fire', severity: rule.severity, title: rule.title, explanation };
  }
  if (!silent && firing) {
    return { ...base, action: 'clear', explanation };
  }

  return undefined;
}
