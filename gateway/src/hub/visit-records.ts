import type { VisitEvent } from '@sparkden/sfu';
import type { Logger } from 'pino';

import type { VisitEnded } from '../billing/index.js';
import type { FhirRepository } from '../fhir/repository.js';
import {
  applyVisitEvent,
  encounterIdFor,
  newVisitEncounter,
  type VisitEncounter,
} from './visit-encounter.js';

type Json = Record<string, unknown>;

/** Options of {@link createVisitRecorder}. */
export interface VisitRecorderOptions {
  repo: FhirRepository;
  /** Billing's visits ledger; without it only the Encounter is kept. */
  ledger?: { recordVisit(visit: VisitEnded): Promise<void> };
  logger: Logger;
}

/** What the recorder reads from the visit's Appointment. */
export interface AppointmentFacts {
  patientId?: string;
  /** Every participant's actor reference (`Practitioner/p1`, `Patient/p2`, `Location/l1`). */
  actorRefs: string[];
  /** `other` when the Appointment names a Location among its participants, else `home`. */
  patientLocation: 'home' | 'other';
}

const THREE_YEARS_MS = 3 * 365.25 * 24 * 3600_000;

/**
 * The patient of an Appointment and where they take the visit from. [FHIR R4
 * Appointment.participant.actor] names the patient and, for a visit held at a facility (a
 * clinic's telehealth room), a Location; a video visit with no Location is taken from home,
 * the default billing's place-of-service 10 rests on.
 */
export function appointmentFacts(appointment: Json): AppointmentFacts {
  const refs = ((appointment.participant as Json[] | undefined) ?? []).map(
    (p) => ((p.actor as Json | undefined)?.reference as string | undefined) ?? '',
  );
  const patient = refs.find((r) => r.startsWith('Patient/'));

  return {
    ...(patient === undefined ? {} : { patientId: patient.slice('Patient/'.length) }),
    actorRefs: refs.filter((r) => r !== ''),
    patientLocation: refs.some((r) => r.startsWith('Location/')) ? 'other' : 'home',
  };
}

/**
 * Whether the patient is new to the practice for E/M coding: no other finished Encounter of
 * theirs started in the three years before this visit [CPT E/M guidelines: new patient].
 */
async function isNewPatient(
  repo: FhirRepository,
  patientId: string,
  encounterId: string,
  startedAt: string,
): Promise<boolean> {
  const since = new Date(Date.parse(startedAt) - THREE_YEARS_MS).toISOString();
  const { rows } = await repo.db.query<{ n: string | number }>(
    `select count(*) as n from clinical.resources
      where resource_type = 'Encounter' and patient_id = $1 and not deleted and id <> $2
        and content->>'status' = 'finished'
        and (content->'period'->>'start')::timestamptz >= $3::timestamptz
        and (content->'period'->>'start')::timestamptz < $4::timestamptz`,
    [patientId, encounterId, since, startedAt],
  );

  return Number(rows[0]?.n ?? 0) === 0;
}

/**
 * Turns a visit's events into records: the visit's virtual Encounter (status, period,
 * participants with their stints, length) is updated on every admitted, joined, left and ended
 * event; when the visit ends, billing's visits ledger gets its interactive minutes — the time
 * the clinician and the patient were in the call together, not the wall-clock duration.
 * Events of one visit are applied in order; the Encounter id is derived from the Appointment,
 * so a replayed event changes nothing.
 *
 * @example
 * const record = createVisitRecorder({ repo, ledger: billing.store.ledger, logger });
 * await record(event);
 */
export function createVisitRecorder(
  options: VisitRecorderOptions,
): (event: VisitEvent) => Promise<void> {
  const log = options.logger.child({ module: 'hub:visit-records' });
  const queues = new Map<string, Promise<void>>();

  async function apply(event: VisitEvent): Promise<void> {
    const { repo } = options;
    const row = await repo.current('Appointment', event.appointmentId);
    const appointment =
      row === undefined || row.deleted ? undefined : (repo.toResource(row) as Json);
    const facts = appointment === undefined ? undefined : appointmentFacts(appointment);
    if (facts?.patientId === undefined) {
      log.warn(
        { appointmentId: event.appointmentId, event: event.type },
        'visit of no known patient',
      );

      return;
    }

    const { patientId } = facts;
    const id = encounterIdFor(event.appointmentId);
    const stored = await repo.current('Encounter', id);
    const before =
      stored === undefined || stored.deleted
        ? newVisitEncounter(event.appointmentId, patientId)
        : (repo.toResource(stored) as VisitEncounter);
    const after = applyVisitEvent(before, event, patientId);
    if (JSON.stringify(after) !== JSON.stringify(before) || stored === undefined) {
      await repo.update(after, { ifMatch: stored?.version });
    }
    if (event.type !== 'ended' || options.ledger === undefined) {
      return;
    }

    const host = event.participants.find((p) => p.role === 'host');
    const clinicianRef = host?.actorRef?.startsWith('Practitioner/') === true ? host.actorRef : '';
    await options.ledger.recordVisit({
      visitId: event.appointmentId,
      patientId,
      clinicianId: clinicianRef.slice('Practitioner/'.length) || host?.userId || 'unknown',
      startedAt: event.startedAt,
      endedAt: event.endedAt,
      durationMinutes: Math.round(event.interactiveSeconds / 60),
      video: event.video,
      patientLocation: facts.patientLocation,
      newPatient: await isNewPatient(repo, patientId, id, event.startedAt),
    });
  }

  return (event) => {
    const previous = queues.get(event.appointmentId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => apply(event));
    queues.set(event.appointmentId, next);
    void next
      .finally(() => {
        if (queues.get(event.appointmentId) === next) {
          queues.delete(event.appointmentId);
        }
      })
      .catch(() => undefined);

    return next;
  };
}
