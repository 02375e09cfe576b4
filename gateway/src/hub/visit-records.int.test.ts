/**
 * The visit recorder on real PostgreSQL: billing's visits ledger counts interactive time, not
 * wall-clock duration; new or established patient and the patient's location come from the
 * clinical data.
 */
import type { VisitEvent } from '@sparkden/sfu';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startVisitTestHub, type VisitTestHub } from '../testing/visit-hub.js';
import { encounterIdFor } from './visit-encounter.js';
import { createVisitRecorder } from './visit-records.js';

let hub: VisitTestHub;
let record: (event: VisitEvent) => Promise<void>;
const doc = { userId: 'u-doc', actorRef: 'Practitioner/demo-clinician', role: 'host' as const };
const pat = { userId: 'u-pat', actorRef: 'Patient/demo-patient-1', role: 'patient' as const };

function visit(
  appointmentId: string,
  start: Date,
  minutes: number,
  interactive: number,
  video = true,
) {
  const at = (m: number) => new Date(start.getTime() + m * 60_000).toISOString();
  const events: VisitEvent[] = [
    { type: 'joined', appointmentId, ...doc, at: at(0) },
    { type: 'admitted', appointmentId, ...pat, byUserId: doc.userId, at: at(1) },
    { type: 'joined', appointmentId, ...pat, at: at(1) },
    {
      type: 'left',
      appointmentId,
      ...pat,
      reason: 'hangup',
      secondsInCall: interactive * 60,
      at: at(1 + interactive),
    },
    {
      type: 'ended',
      appointmentId,
      startedAt: at(0),
      endedAt: at(minutes),
      durationSeconds: minutes * 60,
      interactiveSeconds: interactive * 60,
      video,
      endedByUserId: doc.userId,
      participants: [
        { ...doc, secondsInCall: minutes * 60 },
        { ...pat, secondsInCall: interactive * 60 },
      ],
    },
  ];

  return events;
}

async function replay(events: VisitEvent[]): Promise<void> {
  for (const e of events) {
    await record(e);
  }
}

test.before(async () => {
  hub = await startVisitTestHub({ media: { workerBin: '/nonexistent/mediasoup-worker' } });
  record = createVisitRecorder({
    repo: hub.repo,
    ledger: hub.billing.ledger,
    logger: pino({ level: 'silent' }),
  });
});

test.after(async () => {
  await hub.close();
});

test('the ledger gets the interactive minutes; the Encounter keeps the wall-clock length', async () => {
  const apt = await hub.book();
  const start = new Date('2026-03-02T09:00:00Z');

  await replay(visit(apt, start, 30, 12));

  const [row] = await hub.billing.ledger.listVisits('demo-patient-1', '2026-03-02', '2026-03-02');
  assert.is(row?.visitId, apt);
  assert.is(row?.durationMinutes, 12);
  assert.is(row?.clinicianId, 'demo-clinician');
  assert.is(row?.newPatient, true);
  assert.is(row?.patientLocation, 'home');
  const enc = await hub.repo.read('Encounter', encounterIdFor(apt));
  assert.is((enc.length as { value: number }).value, 30);
  assert.is(enc.status, 'finished');
});

test('a patient seen within three years is established', async () => {
  const first = await hub.book({ patientId: 'p-returning' });
  const second = await hub.book({ patientId: 'p-returning' });
  await replay(visit(first, new Date('2026-04-01T09:00:00Z'), 20, 15));

  await replay(visit(second, new Date('2026-04-20T09:00:00Z'), 20, 15));

  const rows = await hub.billing.ledger.listVisits('p-returning', '2026-04-01', '2026-04-30');
  assert.equal(
    rows.map((r) => [r.visitId, r.newPatient]),
    [
      [first, true],
      [second, false],
    ],
  );
});

test('an Appointment held at a Location is not a visit from home', async () => {
  const apt = await hub.book({ location: 'ward-1' });

  await replay(visit(apt, new Date('2026-05-04T09:00:00Z'), 20, 18));

  const [row] = await hub.billing.ledger.listVisits('demo-patient-1', '2026-05-04', '2026-05-04');
  assert.is(row?.patientLocation, 'other');
});

test('a visit where nobody sent video is recorded as audio-only', async () => {
  const apt = await hub.book();

  await replay(visit(apt, new Date('2026-05-11T09:00:00Z'), 20, 18, false));

  const [row] = await hub.billing.ledger.listVisits('demo-patient-1', '2026-05-11', '2026-05-11');
  assert.is(row?.video, false);
});

test('replaying a whole visit writes no second version and no second ledger row', async () => {
  const apt = await hub.book();
  const events = visit(apt, new Date('2026-06-01T09:00:00Z'), 20, 10);
  await replay(events);
  const before = await hub.repo.current('Encounter', encounterIdFor(apt));

  await replay(events);

  const after = await hub.repo.current('Encounter', encounterIdFor(apt));
  assert.is(after?.version, before?.version);
  const rows = await hub.billing.ledger.listVisits('demo-patient-1', '2026-06-01', '2026-06-01');
  assert.is(rows.length, 1);
});

test.run();
