import { randomUUID } from 'node:crypto';

import type { RuleOutcome, Severity } from '../rules/types.js';
import { severityRank } from '../rules/types.js';
import { AlertError } from './errors.js';
import type { Alert, AlertActor, EscalationState } from './types.js';

type Fire = Extract<RuleOutcome, { action: 'fire' }>;

/** The dedupe key of an alert: rule, patient and code. */
export function fingerprintOf(ruleId: string, patientId: string, code: string): string {
  return `${ruleId}|${patientId}|${code}`;
}

/** A new firing alert from a rule's outcome. Pure apart from the fresh id. */
export function createAlert(
  f: Fire,
  unit: string,
  now: string,
  escalation: EscalationState,
): Alert {
  return {
    id: randomUUID(),
    fingerprint: fingerprintOf(f.ruleId, f.patientId, f.code),
    ruleId: f.ruleId,
    ruleKind: f.explanation.ruleKind,
    patientId: f.patientId,
    code: f.code,
    unit,
    severity: f.severity,
    status: 'firing',
    title: f.title,
    explanation: f.explanation,
    raisedAt: now,
    updatedAt: now,
    occurrences: 1,
    nonActionable: false,
    escalation,
  };
}

/**
 * What a repeated firing of an open alert changes: a new severity or title, or a
 * condition that had cleared coming back. `undefined` when nothing changed (dedupe).
 */
export function refire(
  alert: Alert,
  f: Fire,
  now: string,
): { alert: Alert; worse: boolean } | undefined {
  const changed = alert.severity !== f.severity || alert.title !== f.title;
  if (!changed && alert.clearedAt === undefined) {
    return undefined;
  }

  const worse =
    severityRank(f.severity) > severityRank(alert.severity) || alert.clearedAt !== undefined;
  const next: Alert = {
    ...alert,
    severity: f.severity,
    title: f.title,
    explanation: f.explanation,
    updatedAt: now,
    occurrences: alert.occurrences + (alert.clearedAt === undefined ? 0 : 1),
    clearedAt: undefined,
  };

  return { alert: next, worse };
}

/** Back to firing and unacknowledged (a worse band after an acknowledgement). */
export function reopen(alert: Alert, escalation: EscalationState): Alert {
  return {
    ...alert,
    status: 'firing',
    acknowledgedAt: undefined,
    acknowledgedBy: undefined,
    acknowledgedByName: undefined,
    escalation,
  };
}

/** The condition behind an alert cleared: resolved by the system. */
export function autoResolve(alert: Alert, now: string): Alert {
  return {
    ...alert,
    status: 'resolved',
    updatedAt: now,
    clearedAt: now,
    resolvedAt: now,
    resolvedBy: 'system',
    resolution: 'condition-cleared',
    escalation: stopped(alert.escalation),
  };
}

/** The condition cleared but the alert stays open until a person acknowledges it. */
export function markCleared(alert: Alert, now: string): Alert {
  return { ...alert, updatedAt: now, clearedAt: now };
}

function stopped(e: EscalationState | undefined): EscalationState | undefined {
  return e === undefined ? undefined : { ...e, nextAt: undefined };
}

function requireOpen(alert: Alert): void {
  if (alert.status === 'resolved') {
    throw new AlertError('INVALID_TRANSITION', `alert ${alert.id} is resolved`);
  }
}

/** Firing → acknowledged by `actor` (with the name colleagues see, if known); escalation stops. */
export function acknowledgeAlert(alert: Alert, actor: AlertActor, now: string): Alert {
  requireOpen(alert);

  return {
    ...alert,
    status: 'acknowledged',
    updatedAt: now,
    acknowledgedAt: now,
    acknowledgedBy: actor.id,
    acknowledgedByName: actor.name,
    escalation: stopped(alert.escalation),
  };
}

/** → resolved by `actor` (manual). */
export function resolveAlert(alert: Alert, actor: string, now: string): Alert {
  requireOpen(alert);

  return {
    ...alert,
    status: 'resolved',
    updatedAt: now,
    resolvedAt: now,
    resolvedBy: actor,
    resolution: 'manual',
    escalation: stopped(alert.escalation),
  };
}

/** Marks an alert (open or resolved) as not needing clinical action. */
export function markNonActionable(
  alert: Alert,
  actor: string,
  now: string,
  reason?: string,
): Alert {
  return {
    ...alert,
    updatedAt: now,
    nonActionable: true,
    nonActionableBy: actor,
    nonActionableAt: now,
    nonActionableReason: reason,
  };
}

/** Whether an alert that cleared by itself must still wait for a person. */
export function latches(severity: Severity, acknowledged: boolean): boolean {
  return severityRank(severity) >= severityRank('high') && !acknowledged;
}
