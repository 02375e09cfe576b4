import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertError } from './errors.js';
import { acknowledgeAlert, createAlert, reopen, resolveAlert } from './lifecycle.js';
import { SPO2_LOW_FIRE } from './test-fixtures.js';

const T0 = '2026-01-05T08:00:00.000Z';
const T1 = '2026-01-05T08:03:00.000Z';
const CHAIN = { policyId: 'urgent', step: 0, round: 0, target: 'nurse', nextAt: T1 };

const fire = SPO2_LOW_FIRE;

test('an acknowledgement by an actor with a name keeps the id and the name apart', () => {
  const raised = createAlert(fire, 'ward-3', T0, CHAIN);

  const acked = acknowledgeAlert(raised, { id: 'u-17', name: 'Nurse Demo' }, T1);

  assert.equal(
    [acked.status, acked.acknowledgedAt, acked.acknowledgedBy, acked.acknowledgedByName],
    ['acknowledged', T1, 'u-17', 'Nurse Demo'],
  );
  assert.is(acked.escalation?.nextAt, undefined, 'the chain stops');
});

test('an acknowledgement by an id without a name names no one', () => {
  const raised = createAlert(fire, 'ward-3', T0, CHAIN);

  const acked = acknowledgeAlert(raised, { id: 'u-17' }, T1);

  assert.is(acked.acknowledgedBy, 'u-17');
  assert.is(acked.acknowledgedByName, undefined);
  assert.not.ok('acknowledgedByName' in JSON.parse(JSON.stringify(acked)));
});

test('reopening forgets the acknowledger, name and all', () => {
  const acked = acknowledgeAlert(
    createAlert(fire, 'ward-3', T0, CHAIN),
    { id: 'u-17', name: 'Nurse Demo' },
    T1,
  );

  const again = reopen(acked, CHAIN);

  assert.equal(
    [again.status, again.acknowledgedBy, again.acknowledgedByName],
    ['firing', undefined, undefined],
  );
});

test('a resolved alert cannot be acknowledged', () => {
  const resolved = resolveAlert(createAlert(fire, 'ward-3', T0, CHAIN), 'u-17', T1);

  assert.throws(
    () => acknowledgeAlert(resolved, { id: 'u-18', name: 'Nurse Two' }, T1),
    (e: unknown) => e instanceof AlertError && e.code === 'INVALID_TRANSITION',
  );
});

test.run();
