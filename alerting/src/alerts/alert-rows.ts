import type { Alert, AlertEvent, Silence } from './types.js';

type Row = Record<string, unknown>;

/** The columns of `alerting.alerts`, in insert order, and how each comes from an alert. */
export const ALERT_COLUMNS: ReadonlyArray<[string, (a: Alert) => unknown]> = [
  ['id', (a) => a.id],
  ['fingerprint', (a) => a.fingerprint],
  ['rule_id', (a) => a.ruleId],
  ['rule_kind', (a) => a.ruleKind],
  ['patient_id', (a) => a.patientId],
  ['code', (a) => a.code],
  ['unit', (a) => a.unit],
  ['severity', (a) => a.severity],
  ['status', (a) => a.status],
  ['title', (a) => a.title],
  ['explanation', (a) => JSON.stringify(a.explanation)],
  ['raised_at', (a) => a.raisedAt],
  ['updated_at', (a) => a.updatedAt],
  ['occurrences', (a) => a.occurrences],
  ['acknowledged_at', (a) => a.acknowledgedAt ?? null],
  ['acknowledged_by', (a) => a.acknowledgedBy ?? null],
  ['acknowledged_by_name', (a) => a.acknowledgedByName ?? null],
  ['resolved_at', (a) => a.resolvedAt ?? null],
  ['resolved_by', (a) => a.resolvedBy ?? null],
  ['resolution', (a) => a.resolution ?? null],
  ['cleared_at', (a) => a.clearedAt ?? null],
  ['non_actionable', (a) => a.nonActionable],
  ['non_actionable_by', (a) => a.nonActionableBy ?? null],
  ['non_actionable_at', (a) => a.nonActionableAt ?? null],
  ['non_actionable_reason', (a) => a.nonActionableReason ?? null],
  ['escalation', (a) => (a.escalation === undefined ? null : JSON.stringify(a.escalation))],
];

function iso(v: unknown): string | undefined {
  if (v === null || v === undefined) {
    return undefined;
  }

  return v instanceof Date ? v.toISOString() : new Date(v as string).toISOString();
}

function opt<T>(v: unknown): T | undefined {
  return v === null || v === undefined ? undefined : (v as T);
}

function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** Reads one `alerting.alerts` row. */
export function alertFromRow(r: Row): Alert {
  return {
    id: String(r.id),
    fingerprint: String(r.fingerprint),
    ruleId: String(r.rule_id),
    ruleKind: r.rule_kind as Alert['ruleKind'],
    patientId: String(r.patient_id),
    code: String(r.code),
    unit: String(r.unit),
    severity: r.severity as Alert['severity'],
    status: r.status as Alert['status'],
    title: String(r.title),
    explanation: json(r.explanation),
    raisedAt: iso(r.raised_at) as string,
    updatedAt: iso(r.updated_at) as string,
    occurrences: Number(r.occurrences),
    acknowledgedAt: iso(r.acknowledged_at),
    acknowledgedBy: opt(r.acknowledged_by),
    acknowledgedByName: opt(r.acknowledged_by_name),
    resolvedAt: iso(r.resolved_at),
    resolvedBy: opt(r.resolved_by),
    resolution: opt(r.resolution),
    clearedAt: iso(r.cleared_at),
    nonActionable: Boolean(r.non_actionable),
    nonActionableBy: opt(r.non_actionable_by),
    nonActionableAt: iso(r.non_actionable_at),
    nonActionableReason: opt(r.non_actionable_reason),
    escalation: r.escalation === null ? undefined : json(r.escalation),
  };
}

/** Reads one `alerting.alert_events` row. */
export function eventFromRow(r: Row): AlertEvent {
  return {
    cursor: Number(r.cursor),
    alertId: String(r.alert_id),
    kind: r.kind as AlertEvent['kind'],
    at: iso(r.at) as string,
    actor: String(r.actor),
    patientId: String(r.patient_id),
    unit: String(r.unit),
    detail: json(r.detail),
    alert: json(r.snapshot),
  };
}

/** Reads one `alerting.silences` row. */
export function silenceFromRow(r: Row): Silence {
  return {
    id: String(r.id),
    unit: opt(r.unit),
    patientId: opt(r.patient_id),
    ruleId: opt(r.rule_id),
    code: opt(r.code),
    startsAt: iso(r.starts_at) as string,
    endsAt: iso(r.ends_at) as string,
    createdBy: String(r.created_by),
    createdAt: iso(r.created_at) as string,
    reason: opt(r.reason),
  };
}
