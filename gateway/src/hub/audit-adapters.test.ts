import type { VisitAuditEvent } from '@sparkden/sfu';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { auditFromVisit } from './audit-adapters.js';

const join: VisitAuditEvent = {
  action: 'visit.join',
  appointmentId: 'apt-1',
  actorUserId: 'u-9',
  actorRole: 'patient',
  outcome: 'success',
  at: '2026-03-02T09:00:00.000Z',
};

test('visit audit actions keep the SFU name, without a second prefix', () => {
  assert.is(auditFromVisit(join).action, 'visit.join');
  assert.is(auditFromVisit({ ...join, action: 'visit.admit' }).action, 'visit.admit');
});

test("a visit audit record names the Appointment's patient", () => {
  const record = auditFromVisit(join, 'p-1');

  assert.is(record.patientId, 'p-1');
  assert.is(record.resource, 'Appointment/apt-1');
  assert.equal(record.actor, { sub: 'u-9', role: 'patient' });
  assert.equal(record.detail, { at: join.at });
});

test('a denial keeps its reason and the subject acted upon', () => {
  const record = auditFromVisit(
    { ...join, action: 'visit.kick', outcome: 'denied', reason: 'FORBIDDEN', subjectUserId: 'u-2' },
    'p-1',
  );

  assert.is(record.outcome, 'denied');
  assert.equal(record.detail, { subject: 'u-2', reason: 'FORBIDDEN', at: join.at });
});

test.run();
