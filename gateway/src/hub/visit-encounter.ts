import { createHash } from 'node:crypto';

import type { VisitEvent } from '@sparkden/sfu';

type Json = Record<string, unknown>;

/** A FHIR R4 Encounter as the visit recorder builds it. */
export interface VisitEncounter extends Json {
  resourceType: 'Encounter';
  id: string;
  status: EncounterStatus;
  participant: EncounterParticipant[];
  period?: { start?: string; end?: string };
  statusHistory?: { status: EncounterStatus; period: { start?: string; end?: string } }[];
}

/** The Encounter statuses a visit moves through, in order; it never moves back. */
export type EncounterStatus = 'planned' | 'arrived' | 'in-progress' | 'finished';

/** One stint of one person in the call. */
export interface EncounterParticipant extends Json {
  type: { coding: { system: string; code: string; display: string }[] }[];
  individual?: { reference?: string; identifier?: { system: string; value: string } };
  extension?: { url: string; valueReference: { reference: string } }[];
  period: { start: string; end?: string };
}

const ORDER: readonly EncounterStatus[] = ['planned', 'arrived', 'in-progress', 'finished'];
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
// [FHIR R4 Encounter.participant.individual] allows Practitioner, PractitionerRole and
// RelatedPerson only; the patient's own stints use the R5 element `participant.actor` through
// its cross-version extension, so the resource stays valid R4.
export const PARTICIPANT_ACTOR_EXTENSION =
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.participant.actor';
/** Identifier system of a participant known only by its Spark Den user id. */
export const USER_ID_SYSTEM = 'urn:sparkden:user';

const TYPES = {
  host: { system: PARTICIPATION, code: 'ATND', display: 'attender' },
  guest: { system: PARTICIPATION, code: 'PART', display: 'Participation' },
  patient: { system: PARTICIPATION, code: 'PART', display: 'Participation' },
} as const;

/**
 * The Encounter id of an Appointment's visit: `visit-<appointment id>`, or a digest of it when
 * that would pass FHIR's 64 characters, so every event (on any hub) updates the same resource.
 */
export function encounterIdFor(appointmentId: string): string {
  const plain = `visit-${appointmentId}`;
  if (plain.length <= 64 && /^[A-Za-z0-9.-]+$/.test(plain)) {
    return plain;
  }

  return `visit-${createHash('sha256').update(appointmentId).digest('hex').slice(0, 40)}`;
}

/** A fresh, planned virtual Encounter for an Appointment's visit. */
export function newVisitEncounter(appointmentId: string, patientId: string): VisitEncounter {
  return {
    resourceType: 'Encounter',
    id: encounterIdFor(appointmentId),
    status: 'planned',
    class: {
      system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
      code: 'VR',
      display: 'virtual',
    },
    subject: { reference: `Patient/${patientId}` },
    appointment: [{ reference: `Appointment/${appointmentId}` }],
    participant: [],
  };
}

type Stint = { userId: string; actorRef?: string; role: 'host' | 'patient' | 'guest' };

// The patient is named by the Appointment's patient when the token carried no reference.
function refOf(s: Stint, patientId: string): string | undefined {
  if (s.actorRef !== undefined) {
    return s.actorRef;
  }

  return s.role === 'patient' ? `Patient/${patientId}` : undefined;
}

function newStint(s: Stint, patientId: string, at: string): EncounterParticipant {
  const ref = refOf(s, patientId);
  const who =
    ref?.startsWith('Patient/') === true
      ? { extension: [{ url: PARTICIPANT_ACTOR_EXTENSION, valueReference: { reference: ref } }] }
      : {
          individual:
            ref === undefined
              ? { identifier: { system: USER_ID_SYSTEM, value: s.userId } }
              : { reference: ref },
        };

  return { type: [{ coding: [TYPES[s.role]] }], ...who, period: { start: at } };
}

function keyOf(p: EncounterParticipant): string | undefined {
  return (
    p.individual?.reference ??
    p.individual?.identifier?.value ??
    p.extension?.find((e) => e.url === PARTICIPANT_ACTOR_EXTENSION)?.valueReference.reference
  );
}

function stintKey(s: Stint, patientId: string): string {
  return refOf(s, patientId) ?? s.userId;
}

function openStint(enc: VisitEncounter, key: string): EncounterParticipant | undefined {
  return enc.participant.find((p) => keyOf(p) === key && p.period.end === undefined);
}

function isPatient(p: EncounterParticipant): boolean {
  return p.extension?.some((e) => e.url === PARTICIPANT_ACTOR_EXTENSION) === true;
}

function isHost(p: EncounterParticipant): boolean {
  return p.type[0]?.coding[0]?.code === TYPES.host.code;
}

function advance(enc: VisitEncounter, status: EncounterStatus, at: string): void {
  if (ORDER.indexOf(status) <= ORDER.indexOf(enc.status)) {
    return;
  }

  const history = enc.statusHistory ?? [];
  const since = history.at(-1)?.period.end ?? enc.period?.start ?? at;
  history.push({ status: enc.status, period: { start: since, end: at } });
  enc.statusHistory = history;
  enc.status = status;
}

/**
 * Applies one visit event to the visit's Encounter and returns it (a copy):
 * - `admitted`: the patient is let in from the lobby, status `arrived`;
 * - `joined`: a new participant stint opens; once the clinician and the patient are both in
 *   the call the status is `in-progress`; the first join starts `period`;
 * - `left`: that person's open stint ends;
 * - `ended`: open stints end, status `finished`, `period` and `length` (wall-clock minutes).
 * Replaying an event already applied changes nothing, the status never moves back, and a
 * finished Encounter takes no more events.
 *
 * @example
 * let enc = newVisitEncounter('apt-1', 'p-1');
 * enc = applyVisitEvent(enc, joinedEvent, 'p-1');
 */
export function applyVisitEvent(
  current: VisitEncounter,
  event: VisitEvent,
  patientId: string,
): VisitEncounter {
  const enc = structuredClone(current);
  if (enc.status === 'finished') {
    return enc;
  }

  switch (event.type) {
    case 'admitted':
      advance(enc, 'arrived', event.at);
      break;
    case 'joined': {
      enc.period = { ...enc.period, start: enc.period?.start ?? event.at };
      const key = stintKey(event, patientId);
      const known = enc.participant.some((p) => keyOf(p) === key && p.period.start === event.at);
      if (!known && openStint(enc, key) === undefined) {
        enc.participant.push(newStint(event, patientId, event.at));
      }
      const open = enc.participant.filter((p) => p.period.end === undefined);
      if (open.some(isPatient)) {
        advance(enc, open.some(isHost) ? 'in-progress' : 'arrived', event.at);
      }
      break;
    }
    case 'left': {
      const stint = openStint(enc, stintKey(event, patientId));
      if (stint !== undefined) {
        stint.period.end = event.at;
      }
      break;
    }
    case 'ended':
      for (const p of enc.participant.filter((x) => x.period.end === undefined)) {
        p.period.end = event.endedAt;
      }
      enc.period = { start: enc.period?.start ?? event.startedAt, end: event.endedAt };
      enc.length = {
        value: Math.round(event.durationSeconds / 60),
        unit: 'min',
        system: 'http://unitsofmeasure.org',
        code: 'min',
      };
      advance(enc, 'finished', event.endedAt);
      break;
    case 'duration':
      break;
  }

  return enc;
}
