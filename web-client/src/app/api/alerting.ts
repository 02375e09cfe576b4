import type { Alert } from '../model/alerts.js';
import type { Threshold } from '../model/vitals.js';
import { requestJson } from './http.js';
import { listPatients } from './patients.js';
import { session } from './session.js';

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

/**
 * Open alerts of the patients the signed-in user looks after: a nurse's units at once, a
 * clinician's care team (who covers no unit) one patient at a time.
 */
export async function listMyOpenAlerts(): Promise<Alert[]> {
  if ((session.current()?.units.length ?? 0) > 0) {
    return listOpenAlerts();
  }

  const patients = await listPatients();
  const lists = await Promise.all(patients.map((p) => listOpenAlerts(p.id ?? '')));

  return lists.flat();
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
 * with the patient's overrides applied. Failures travel to the caller, which must say the
 * thresholds are unavailable rather than draw any others.
 *
 * @throws {ApiError} when the rules or the overrides cannot be read.
 */
export async function fetchThresholds(patientId: string): Promise<Map<string, Threshold[]>> {
  const [rules, overrides] = await Promise.all([
    requestJson<{ rules: ThresholdRuleView[] }>(`${ALERTING_BASE}/rules`),
    requestJson<{ overrides: OverrideView[] }>(
      `${ALERTING_BASE}/patients/${encodeURIComponent(patientId)}/overrides`,
    ),
  ]);

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
