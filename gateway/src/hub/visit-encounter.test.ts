import type { VisitEvent } from '@sparkden/sfu';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  PARTICIPANT_ACTOR_EXTENSION,
  USER_ID_SYSTEM,
  applyVisitEvent,
  encounterIdFor,
  newVisitEncounter,
  type VisitEncounter,
} from './visit-encounter.js';

const apt = 'apt-1';
const doc = { userId: 'u-doc', actorRef: 'Practitioner/doc', role: 'host' as const };
const pat = { userId: 'u-pat', actorRef: 'Patient/p-1', role: 'patient' as const };
const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 9, minute)).toISOString();

function run(events: VisitEvent[]): VisitEncounter {
  return events.reduce((enc, e) => applyVisitEvent(enc, e, 'p-1'), newVisitEncounter(apt, 'p-1'));
}

const joined = (who: typeof doc | typeof pat, minute: number): VisitEvent => ({
  type: 'joined',
  appointmentId: apt,
  ...who,
  at: at(minute),
});
const left = (who: typeof doc | typeof pat, minute: number): VisitEvent => ({
  type: 'left',
  appointmentId: apt,
  ...who,
  reason: 'hangup',
  secondsInCall: 0,
  at: at(minute),
});
const admitted: VisitEvent = {
  type: 'admitted',
  appointmentId: apt,
  ...pat,
  byUserId: doc.userId,
  at: at(2),
};
const ended: VisitEvent = {
  type: 'ended',
  appointmentId: apt,
  startedAt: at(0),
  endedAt: at(20),
  durationSeconds: 20 * 60,
  interactiveSeconds: 12 * 60,
  video: true,
  endedByUserId: doc.userId,
  participants: [],
};

test('the host alone is a planned visit; admitting the patient makes it arrived', () => {
  assert.is(run([joined(doc, 0)]).status, 'planned');
  assert.is(run([joined(doc, 0), admitted]).status, 'arrived');
});

test('clinician and patient both in the call: in-progress, and it never moves back', () => {
  const enc = run([joined(doc, 0), admitted, joined(pat, 2), left(pat, 5)]);

  assert.is(enc.status, 'in-progress');
  assert.equal(
    enc.statusHistory?.map((h) => h.status),
    ['planned', 'arrived'],
  );
  assert.is(enc.period?.start, at(0));
});

test('participants: the clinician as individual, the patient through the R5 actor extension', () => {
  const enc = run([joined(doc, 0), admitted, joined(pat, 2), left(pat, 5), joined(pat, 7), ended]);

  const staff = enc.participant.filter((p) => p.individual?.reference === 'Practitioner/doc');
  const patient = enc.participant.filter((p) =>
    p.extension?.some(
      (e) => e.url === PARTICIPANT_ACTOR_EXTENSION && e.valueReference.reference === 'Patient/p-1',
    ),
  );
  assert.equal(
    staff.map((p) => [p.type[0]?.coding[0]?.code, p.period]),
    [['ATND', { start: at(0), end: at(20) }]],
  );
  assert.equal(
    patient.map((p) => p.period),
    [
      { start: at(2), end: at(5) },
      { start: at(7), end: at(20) },
    ],
  );
  assert.is(patient[0]?.individual, undefined);
});

test('ended: finished, period and length in minutes', () => {
  const enc = run([joined(doc, 0), admitted, joined(pat, 2), ended]);

  assert.is(enc.status, 'finished');
  assert.equal(enc.period, { start: at(0), end: at(20) });
  assert.equal(enc.length, {
    value: 20,
    unit: 'min',
    system: 'http://unitsofmeasure.org',
    code: 'min',
  });
});

test('a replayed event changes nothing', () => {
  const once = run([joined(doc, 0), admitted, joined(pat, 2)]);
  const twice = applyVisitEvent(applyVisitEvent(once, joined(pat, 2), 'p-1'), admitted, 'p-1');

  assert.equal(twice, once);
});

test('a token without a reference: the patient from the Appointment, staff by user id', () => {
  const enc = run([
    { type: 'joined', appointmentId: apt, userId: 'u-x', role: 'guest', at: at(0) },
    { type: 'joined', appointmentId: apt, userId: 'u-pat', role: 'patient', at: at(1) },
  ]);

  assert.equal(enc.participant[0]?.individual, {
    identifier: { system: USER_ID_SYSTEM, value: 'u-x' },
  });
  assert.is(enc.participant[1]?.extension?.[0]?.valueReference.reference, 'Patient/p-1');
  assert.is(enc.status, 'arrived');
});

test('Encounter ids derive from the Appointment and stay valid FHIR ids', () => {
  assert.is(encounterIdFor('apt-1'), 'visit-apt-1');
  const long = encounterIdFor('x'.repeat(80));

  assert.match(long, /^visit-[0-9a-f]{40}$/);
  assert.is(encounterIdFor('x'.repeat(80)), long);
});

test.run();
