import type { Explanation, RuleOutcome, StaleRule } from './types.js';

/** When a device was last heard from, as the engine keeps it. */
export interface DeviceSeen {
  deviceId: string;
  patientId: string;
  /** The code of its latest reading. */
  code: string;
  /** Epoch milliseconds of its latest reading. */
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

  return {
    ruleId: rule.id,
    ruleKind: 'stale',
    summary: `no ${d.code} data from device for ${silentS} s (expected every ${cadenceMs / 1000} s)`,
    thresholds: { cadenceMs, factor: rule.factor, limitMs: cadenceMs * rule.factor },
    evidence: [
      {
        code: d.code,
        value: 'last reading',
        at: new Date(d.lastAt).toISOString(),
        deviceId: d.deviceId,
      },
    ],
  };
}

/**
 * Evaluates the no-data rule for one device at `now`: fires when it has been silent for
 * longer than `factor` × its cadence, clears when it reports again. A device with no known
 * cadence is never stale. Pure.
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
  const cadenceMs = device.cadenceMs ?? rule.defaultCadenceMs[device.code];
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
