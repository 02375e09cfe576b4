import type { Explanation, RuleKind, Severity } from '../rules/types.js';

/** Where an alert is in its life. */
export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

/** Where an alert is on its escalation chain. */
export interface EscalationState {
  policyId: string;
  /** Index of the step last notified. */
  step: number;
  /** How many times the chain has run from the start (0 the first time). */
  round: number;
  /** The role notified last. */
  target: string;
  /** ISO 8601: when the next step is due; absent when the chain has ended. */
  nextAt?: string;
}

/**
 * One alert: a rule firing for a patient. Times are ISO 8601. `fingerprint` (rule, patient,
 * code) dedupes: while an alert is open, the same condition updates it instead of raising
 * another.
 */
export interface Alert {
  id: string;
  fingerprint: string;
  ruleId: string;
  ruleKind: RuleKind;
  patientId: string;
  code: string;
  /** The care unit the patient belonged to when the alert was raised. */
  unit: string;
  severity: Severity;
  status: AlertStatus;
  title: string;
  explanation: Explanation;
  raisedAt: string;
  updatedAt: string;
  /** How many times the condition fired while this alert was open. */
  occurrences: number;
  acknowledgedAt?: string;
  /** The acknowledger's user id (`Principal.sub`). */
  acknowledgedBy?: string;
  /**
   * The name colleagues know the acknowledger by, when the hub knew it then; absent for an
   * acknowledgement recorded without one. A staff member's name, not patient PHI, but a
   * person's name all the same: shown on consoles, never logged.
   */
  acknowledgedByName?: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: 'condition-cleared' | 'manual';
  /** When the condition cleared (the alert may stay open until someone resolves it). */
  clearedAt?: string;
  nonActionable: boolean;
  nonActionableBy?: string;
  nonActionableAt?: string;
  nonActionableReason?: string;
  escalation?: EscalationState;
  /** Whether an active silence covers it now (never for an urgent alert). */
  silenced?: boolean;
}

/**
 * Who acts on an alert: an opaque user or service id and, when the caller knows it, the
 * display name other staff see (`'Nurse Demo'`).
 */
export interface AlertActor {
  /** The user or service id (`Principal.sub`, or `'system'`). */
  id: string;
  name?: string;
}

/** The kinds of alert event, one per transition. */
export type AlertEventKind =
  | 'raised'
  | 'updated'
  | 'acknowledged'
  | 'resolved'
  | 'escalated'
  | 'silenced'
  | 'marked-non-actionable'
  | 'condition-cleared';

/**
 * One row of the append-only alert log. `cursor` grows monotonically; a console that
 * remembers the last cursor it saw can ask for everything after it.
 */
export interface AlertEvent {
  cursor: number;
  alertId: string;
  kind: AlertEventKind;
  at: string;
  actor: string;
  patientId: string;
  unit: string;
  detail: Record<string, unknown>;
  /** The alert as it stood right after this event. */
  alert: Alert;
}

/** The record handed to the injected audit sink for every transition. */
export interface AuditEvent {
  actor: string;
  action: string;
  patientId?: string;
  entity: string;
  outcome: 'success' | 'failure';
  detail: Record<string, unknown>;
}

/** The injected audit sink (the gateway's hash-chained trail). */
export type AuditSink = (event: AuditEvent) => Promise<void> | void;

/** A time window during which non-urgent alerts matching it send no notification. */
export interface Silence {
  id: string;
  unit?: string;
  patientId?: string;
  ruleId?: string;
  code?: string;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  createdAt: string;
  reason?: string;
}

/** A controllable clock: epoch milliseconds. */
export type Clock = () => number;
