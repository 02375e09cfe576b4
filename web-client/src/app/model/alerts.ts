/**
 * Alerts as the console shows them: ordering (urgent first), grouping per patient, and
 * merging the updates the console namespace pushes. The shapes mirror the alerting
 * package's `Alert` and `AlertEvent` (alerting/src/alerts/types.ts), which the browser
 * cannot import.
 */

/** Severities, lowest first; `high` and `urgent` count as urgent. */
export const SEVERITIES = ['info', 'low', 'low-medium', 'medium', 'high', 'urgent'] as const;

export type Severity = (typeof SEVERITIES)[number];

export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

/** A value and time an alert cites. */
export interface Evidence {
  code: string;
  value: number | string;
  unit?: string;
  at: string;
  deviceId?: string;
  score?: number;
}

/** Why an alert fired. */
export interface Explanation {
  ruleId: string;
  ruleKind: string;
  summary: string;
  thresholds: Record<string, unknown>;
  evidence: Evidence[];
}

/** Where an alert is on its escalation chain. */
export interface EscalationState {
  policyId: string;
  step: number;
  round: number;
  /** The role notified last. */
  target: string;
  nextAt?: string;
}

/** One alert; times are ISO 8601. */
export interface Alert {
  id: string;
  fingerprint?: string;
  ruleId: string;
  ruleKind?: string;
  patientId: string;
  /** A display label for the patient when the hub sends one. */
  patientLabel?: string;
  code: string;
  unit?: string;
  severity: Severity;
  status: AlertStatus;
  title: string;
  explanation?: Explanation;
  raisedAt: string;
  updatedAt: string;
  occurrences?: number;
  acknowledgedAt?: string;
  /** The acknowledger's user id. */
  acknowledgedBy?: string;
  /** The name colleagues know the acknowledger by, when the hub knew it. */
  acknowledgedByName?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: 'condition-cleared' | 'manual';
  /** When the condition cleared (the alert may stay open until someone resolves it). */
  clearedAt?: string;
  nonActionable?: boolean;
  nonActionableReason?: string;
  escalation?: EscalationState;
  /** Whether an active silence covers it now (never for an urgent alert). */
  silenced?: boolean;
  /** When the silence covering it ends, as the console learnt from a `silenced` event. */
  silencedUntil?: string;
}

/** One row of the hub's alert log, as pushed on the console's `alert` event. */
export interface AlertEvent {
  cursor: number;
  alertId: string;
  kind: string;
  at: string;
  actor: string;
  patientId: string;
  unit: string;
  /** What the event adds: a `silenced` event's `endsAt`, an escalation's target. */
  detail?: Record<string, unknown>;
  alert: Alert;
}

/** The alerts of one patient, worst first. */
export interface PatientGroup {
  patientId: string;
  patientLabel?: string;
  alerts: Alert[];
  worst: Severity;
}

/** The rank of a severity (0 = info); an unknown one ranks as `medium`. */
export function severityRank(severity: string): number {
  const rank = SEVERITIES.indexOf(severity as Severity);

  return rank === -1 ? SEVERITIES.indexOf('medium') : rank;
}

/** Whether an alert of this severity is urgent (never silenced, always sounded). */
export function isUrgent(severity: string): boolean {
  return severityRank(severity) >= severityRank('high');
}

function stateRank(alert: Alert): number {
  if (alert.status === 'firing') {
    return 0;
  }

  return alert.status === 'acknowledged' ? 1 : 2;
}

/** Orders alerts: firing before acknowledged before resolved, then worst first, then newest. */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    stateRank(a) - stateRank(b) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    Date.parse(b.raisedAt) - Date.parse(a.raisedAt)
  );
}

/**
 * Groups open alerts by patient. Groups are ordered by their worst firing alert, so a
 * patient with an urgent unacknowledged alert is always at the top.
 */
export function groupByPatient(alerts: Iterable<Alert>): PatientGroup[] {
  const groups = new Map<string, PatientGroup>();
  for (const alert of alerts) {
    let group = groups.get(alert.patientId);
    if (!group) {
      group = { patientId: alert.patientId, alerts: [], worst: 'info' };
      groups.set(alert.patientId, group);
    }
    group.patientLabel ??= alert.patientLabel;
    group.alerts.push(alert);
  }

  const list = [...groups.values()];
  for (const group of list) {
    group.alerts.sort(compareAlerts);
    group.worst = group.alerts[0]?.severity ?? 'info';
  }
  list.sort((a, b) => compareAlerts(a.alerts[0], b.alerts[0]));

  return list;
}

/**
 * Applies one pushed alert to the set the console holds. An update older than what is
 * held (a replayed event after a reconnect) is ignored; a resolved alert is dropped after
 * `keepResolvedMs` so the screen stays calm.
 */
export function mergeAlert(held: Map<string, Alert>, incoming: Alert): boolean {
  const current = held.get(incoming.id);
  if (current && Date.parse(current.updatedAt) > Date.parse(incoming.updatedAt)) {
    return false;
  }

  held.set(incoming.id, incoming);

  return true;
}

/**
 * The alert of an event with the end of the silence that covers it: a `silenced` event
 * carries the end in its detail, later events keep the end known before while the alert
 * stays silenced.
 */
export function withSilenceEnd(
  event: Pick<AlertEvent, 'kind' | 'alert'> & { detail?: Record<string, unknown> },
  before: Alert | undefined,
): Alert {
  const alert = event.alert;
  if (alert.silenced !== true) {
    return alert;
  }

  const endsAt = event.kind === 'silenced' ? event.detail?.endsAt : before?.silencedUntil;

  return typeof endsAt === 'string' ? { ...alert, silencedUntil: endsAt } : alert;
}

/** Drops resolved alerts older than `keepMs`; returns how many were dropped. */
export function pruneResolved(held: Map<string, Alert>, now: number, keepMs: number): number {
  let dropped = 0;
  for (const [id, alert] of held) {
    const resolvedAt = alert.resolvedAt ? Date.parse(alert.resolvedAt) : undefined;
    if (alert.status === 'resolved' && resolvedAt !== undefined && now - resolvedAt > keepMs) {
      held.delete(id);
      dropped += 1;
    }
  }

  return dropped;
}

/**
 * Who acknowledged an alert, as the console words it: `you` for the signed-in user `me`,
 * the name the hub sent for anyone else, `another user` when it sent none (a service, or
 * an acknowledgement older than the names); `undefined` when no one has.
 */
export function acknowledgerLabel(alert: Alert, me: string | undefined): string | undefined {
  if (!alert.acknowledgedBy) {
    return undefined;
  }
  if (alert.acknowledgedBy === me) {
    return 'you';
  }

  return alert.acknowledgedByName?.trim() || 'another user';
}

/** Whether a silence covers an alert (never an urgent one, whatever the hub says). */
export function isSilenced(alert: Alert): boolean {
  return alert.silenced === true && !isUrgent(alert.severity);
}
