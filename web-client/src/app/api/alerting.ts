import type { Alert } from '../model/alerts.js';
import type { Threshold } from '../model/vitals.js';
import { requestJson } from './http.js';

/** Where the gateway mounts the alerting API. */
export const ALERTING_BASE = '/api/alerting';

/** Open alerts (firing or acknowledged) the signed-in user may see, optionally for one patient. */
export async function listOpenAlerts(patientId?: string): Promise<Alert[]> {
  const query = new URLSearchParams({ status: 'firing,acknowledged' });
  if (patientId) {
    query.set('patientId', patientId);
  }
  const body = await requestJson<{ alerts: Alert[] }>(
    `${ALERTING_BASE}/alerts?${query.toString()}`,
  );

  return body.alerts;
}

/** The parts of a threshold rule the chart draws. */
interface ThresholdRuleView {
  id: string;
  kind: string;
  title: string;
  enabled: boolean;
  code?: string;
  direction?: 'below' | 'above';
  threshold?: number;
}

interface OverrideView {
  ruleId: string;
  params: Record<string, unknown>;
}

/**
 * The alert thresholds in force for a patient, per vital code: the engine's threshold rules
 * with the patient's overrides applied. Resolves to undefined when the caller may not read
 * rules, so charts fall back to the default thresholds.
 */
export async function fetchThresholds(
  patientId: string,
): Promise<Map<string, Threshold[]> | undefined> {
  const [rules, overrides] = await Promise.all([
    requestJson<{ rules: ThresholdRuleView[] }>(`${ALERTING_BASE}/rules`).catch(() => undefined),
    requestJson<{ overrides: OverrideView[] }>(
      `${ALERTING_BASE}/patients/${encodeURIComponent(patientId)}/overrides`,
    ).catch(() => ({ overrides: [] })),
  ]);
  if (!rules) {
    return undefined;
  }

  const byCode = new Map<string, Threshold[]>();
  for (const base of rules.rules) {
    const params = overrides.overrides.find((o) => o.ruleId === base.id)?.params ?? {};
    const rule = { ...base, ...params };
    if (rule.kind !== 'threshold' || !rule.enabled || rule.code === undefined) {
      continue;
    }
    if (typeof rule.threshold !== 'number' || !rule.direction) {
      continue;
    }
    const list = byCode.get(rule.code) ?? [];
    list.push({ value: rule.threshold, direction: rule.direction, label: rule.title });
    byCode.set(rule.code, list);
  }

  return byCode;
}
