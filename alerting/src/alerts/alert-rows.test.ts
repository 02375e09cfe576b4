import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ALERT_COLUMNS, alertFromRow, eventFromRow } from './alert-rows.js';
import { acknowledgeAlert, createAlert } from './lifecycle.js';
import { SPO2_LOW_FIRE } from './test-fixtures.js';
import type { Alert } from './types.js';

const T0 = '2026-01-05T08:00:00.000Z';
const T1 = '2026-01-05T08:03:00.000Z';

function raised(): Alert {
  return createAlert(SPO2_LOW_FIRE, 'ward-3', T0, {
    policyId: 'urgent',
    step: 0,
    round: 0,
    target: 'nurse',
  });
}

// The row `select *` gives back for an alert written with ALERT_COLUMNS (jsonb as text).
function rowOf(alert: Alert): Record<string, unknown> {
  return Object.fromEntries(ALERT_COLUMNS.map(([column, get]) => [column, get(alert)]));
}

// What a console or an API client receives: absent fields and undefined ones alike.
function wire(alert: Alert): unknown {
  return JSON.parse(JSON.stringify(alert));
}

test('the acknowledger’s name has its own column and comes back from it', () => {
  const acked = acknowledgeAlert(raised(), { id: 'u-17', name: 'Nurse Demo' }, T1);

  const row = rowOf(acked);

  assert.is(row.acknowledged_by, 'u-17');
  assert.is(row.acknowledged_by_name, 'Nurse Demo');
  assert.equal(wire(alertFromRow(row)), wire(acked));
});

test('a row acknowledged without a name (or before names were kept) reads as no name', () => {
  const acked = acknowledgeAlert(raised(), { id: 'u-17' }, T1);
  const row = rowOf(acked);
  const older = { ...row, acknowledged_by_name: undefined };

  assert.is(row.acknowledged_by_name, null);
  assert.is(alertFromRow(row).acknowledgedByName, undefined);
  assert.is(alertFromRow(older).acknowledgedByName, undefined);
  assert.is(alertFromRow(older).acknowledgedBy, 'u-17');
});

test('an event replays the alert as stored, the acknowledger’s name included', () => {
  const acked = acknowledgeAlert(raised(), { id: 'u-17', name: 'Nurse Demo' }, T1);

  const event = eventFromRow({
    cursor: '42',
    alert_id: acked.id,
    kind: 'acknowledged',
    at: new Date(T1),
    actor: 'u-17',
    patient_id: 'p-1',
    unit: 'ward-3',
    detail: {},
    snapshot: JSON.stringify(acked),
  });

  assert.equal([event.cursor, event.actor], [42, 'u-17']);
  assert.is(event.alert.acknowledgedByName, 'Nurse Demo');
});

test.run();
