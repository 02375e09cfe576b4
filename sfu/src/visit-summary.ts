import { actorRefOf, type Participant } from './participant.js';
import type { VisitClock } from './visit-clock.js';
import type { VisitEvent } from './visit-events.js';

/** What {@link endedEvents} summarises. */
export interface VisitSummaryInput {
  appointmentId: string;
  clock: VisitClock;
  /** When the visit ended, epoch ms. */
  at: number;
  /** Whether anyone sent video. */
  video: boolean;
  endedByUserId: string | null;
  participants: readonly Participant[];
}

/**
 * The `ended` and `duration` events of a finished visit: its period, the interactive seconds
 * the minutes ledger counts, and each participant's time in the call.
 *
 * @example
 * for (const e of endedEvents({ appointmentId, clock, at, video, endedByUserId, participants })) emit(e);
 */
export function endedEvents(input: VisitSummaryInput): VisitEvent[] {
  const { appointmentId, clock, at } = input;
  const startedAt = clock.startedAt ?? at;
  const interactiveSeconds = clock.interactiveSeconds(at);
  const iso = (ms: number) => new Date(ms).toISOString();

  return [
    {
      type: 'ended',
      appointmentId,
      startedAt: iso(startedAt),
      endedAt: iso(at),
      durationSeconds: Math.round((at - startedAt) / 1000),
      interactiveSeconds,
      video: input.video,
      endedByUserId: input.endedByUserId,
      participants: input.participants.map((p) => ({
        userId: p.userId,
        ...actorRefOf(p),
        role: p.role,
        secondsInCall: Math.round(p.secondsInCall),
      })),
    },
    { type: 'duration', appointmentId, interactiveSeconds, at: iso(at) },
  ];
}
