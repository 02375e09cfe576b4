import type { VisitRole } from './tokens.js';

/** Why a participant left the call. */
export type LeaveReason = 'hangup' | 'disconnect' | 'kicked' | 'ended' | 'denied';

/**
 * What the gateway learns about a visit, to update the Encounter (period, participants) and the
 * monthly interactive-minutes ledger billing uses. Times are ISO-8601 UTC strings. `actorRef`
 * is the participant's FHIR reference from the join token, when the gateway put one there.
 */
export type VisitEvent =
  | {
      type: 'admitted';
      appointmentId: string;
      userId: string;
      actorRef?: string;
      role: VisitRole;
      byUserId: string;
      at: string;
    }
  | {
      type: 'joined';
      appointmentId: string;
      userId: string;
      actorRef?: string;
      role: VisitRole;
      at: string;
    }
  | {
      type: 'left';
      appointmentId: string;
      userId: string;
      actorRef?: string;
      role: VisitRole;
      reason: LeaveReason;
      /** Seconds this participant spent in the call (all stints). */
      secondsInCall: number;
      at: string;
    }
  | {
      type: 'ended';
      appointmentId: string;
      /** First moment anyone was in the call (Encounter.period.start). */
      startedAt: string;
      endedAt: string;
      durationSeconds: number;
      /** Seconds the host and the patient were in the call together (see `duration`). */
      interactiveSeconds: number;
      /** Whether anyone sent video at any point; false for an audio-only visit. */
      video: boolean;
      endedByUserId: string | null;
      participants: {
        userId: string;
        actorRef?: string;
        role: VisitRole;
        secondsInCall: number;
      }[];
    }
  | {
      type: 'duration';
      appointmentId: string;
      /**
       * Seconds during which the clinician host and the patient were in the call together: the
       * interactive time that counts toward the minutes ledger. A guest (a nurse, an
       * interpreter) alone with the host does not count.
       */
      interactiveSeconds: number;
      at: string;
    };

/** Audit actions the SFU records; outcome `denied` for refused attempts. */
export type VisitAuditAction =
  | 'visit.join'
  | 'visit.admit'
  | 'visit.deny'
  | 'visit.leave'
  | 'visit.mute'
  | 'visit.allow-unmute'
  | 'visit.kick'
  | 'visit.end';

/** One audit record (who, what, when, outcome); opaque ids only. */
export interface VisitAuditEvent {
  action: VisitAuditAction;
  appointmentId: string;
  actorUserId: string;
  actorRole: VisitRole;
  /** The participant acted upon (admit, mute, kick), when not the actor. */
  subjectUserId?: string;
  outcome: 'success' | 'denied';
  /** Machine-readable reason for `denied`, or the leave reason. */
  reason?: string;
  at: string;
}

/** Receives visit events; may be async. Errors are logged, never thrown into signaling. */
export type VisitEventSink = (event: VisitEvent) => void | Promise<void>;

/** Receives audit records; may be async. */
export type VisitAuditSink = (event: VisitAuditEvent) => void | Promise<void>;
