import type { AuditEvent as AlertAuditEvent } from '@sparkden/alerting';
import type { VisitAuditEvent } from '@sparkden/sfu';

import type { AuditInput } from '../audit/trail.js';

type Detail = NonNullable<AuditInput['detail']>;

// The audit trail keeps flat, typed details; nested values are kept as JSON text.
function flatten(detail: Record<string, unknown>): Detail {
  const out: Detail = {};
  for (const [key, value] of Object.entries(detail)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = value;
    } else if (value !== undefined && value !== null) {
      out[key] = JSON.stringify(value);
    }
  }

  return out;
}

/** An alert lifecycle transition (raised, acknowledged, silenced…) as an audit record. */
export function auditFromAlert(e: AlertAuditEvent): AuditInput {
  const system = e.actor === 'system' || e.actor.startsWith('system:');

  return {
    action: `alert.${e.action}`,
    actor: { sub: e.actor, role: system ? 'system' : 'staff' },
    resource: e.entity,
    patientId: e.patientId,
    outcome: e.outcome,
    purpose: 'TREAT',
    detail: flatten(e.detail),
  };
}

/**
 * A video-visit event (join, admit, leave, end…) as an audit record. The SFU's actions are
 * already namespaced (`visit.join`); `patientId` is the Appointment's patient, which the SFU
 * does not know, so the hub looks it up.
 */
export function auditFromVisit(e: VisitAuditEvent, patientId?: string): AuditInput {
  return {
    action: e.action,
    actor: { sub: e.actorUserId, role: e.actorRole },
    resource: `Appointment/${e.appointmentId}`,
    patientId,
    outcome: e.outcome,
    purpose: 'TREAT',
    detail: flatten({ subject: e.subjectUserId, reason: e.reason, at: e.at }),
  };
}
