import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  acknowledgerLabel,
  compareAlerts,
  groupByPatient,
  isSilenced,
  isUrgent,
  mergeAlert,
  pruneResolved,
  withSilenceEnd,
  type Alert,
} from './alerts.js';

function alert(over: Partial<Alert> & { id: string }): Alert {
  return {
    patientId: 'p-1',
    ruleId: 'spo2-low',
    code: 'spo2',
    severity: 'medium',
    title: 'SpO2 low',
    status: 'firing',
    raisedAt: '2026-12-03T10:00:00Z',
    updatedAt: '2026-12-03T10:00:00Z',
    ...over,
  };
}

test('high and urgent are urgent; medium is not', () => {
  assert.ok(isUrgent('urgent'));
  assert.ok(isUrgent('high'));
  assert.not.ok(isUrgent('medium'));
  assert.not.ok(isUrgent('low-medium'));
});

test('firing sorts before acknowledged, then worst first, then newest', () => {
  const list = [
    alert({ id: 'ack-urgent', severity: 'urgent', status: 'acknowledged' }),
    alert({ id: 'low', severity: 'low' }),
    alert({ id: 'high-old', severity: 'high', raisedAt: '2026-12-03T09:00:00Z' }),
    alert({ id: 'high-new', severity: 'high', raisedAt: '2026-12-03T09:30:00Z' }),
  ].sort(compareAlerts);

  assert.equal(
    list.map((a) => a.id),
    ['high-new', 'high-old', 'low', 'ack-urgent'],
  );
});

test('groups by patient with the patient of the worst firing alert first', () => {
  const groups = groupByPatient([
    alert({ id: 'a', patientId: 'p-calm', severity: 'low' }),
    alert({ id: 'b', patientId: 'p-sick', severity: 'medium' }),
    alert({ id: 'c', patientId: 'p-sick', severity: 'urgent' }),
    alert({ id: 'd', patientId: 'p-acked', severity: 'urgent', status: 'acknowledged' }),
  ]);

  assert.equal(
    groups.map((g) => g.patientId),
    ['p-sick', 'p-calm', 'p-acked'],
  );
  assert.equal(groups[0].worst, 'urgent');
  assert.equal(
    groups[0].alerts.map((a) => a.id),
    ['c', 'b'],
  );
});

test('an update older than the held one (a replayed event) is ignored', () => {
  const held = new Map<string, Alert>();
  mergeAlert(held, alert({ id: 'x', status: 'acknowledged', updatedAt: '2026-12-03T10:05:00Z' }));

  const applied = mergeAlert(held, alert({ id: 'x', status: 'firing' }));

  assert.not.ok(applied);
  assert.is(held.get('x')!.status, 'acknowledged');
});

test('resolved alerts are pruned only after the keep period', () => {
  const held = new Map<string, Alert>();
  mergeAlert(held, alert({ id: 'r', status: 'resolved', resolvedAt: '2026-12-03T10:00:00Z' }));
  mergeAlert(held, alert({ id: 'f' }));
  const at = Date.parse('2026-12-03T10:04:00Z');

  assert.is(pruneResolved(held, at, 5 * 60_000), 0);
  assert.is(pruneResolved(held, at + 2 * 60_000, 5 * 60_000), 1);
  assert.equal([...held.keys()], ['f']);
});

test('a silence never applies to an urgent alert', () => {
  assert.ok(isSilenced(alert({ id: 'm', silenced: true })));
  assert.not.ok(isSilenced(alert({ id: 'm', silenced: false })));
  assert.not.ok(isSilenced(alert({ id: 'u', severity: 'urgent', silenced: true })));
  assert.not.ok(isSilenced(alert({ id: 'h', severity: 'high', silenced: true })));
});

test('a silenced event gives the silence end; later events keep it while silenced', () => {
  const endsAt = '2026-12-03T10:30:00Z';
  const silenced = withSilenceEnd(
    { kind: 'silenced', detail: { endsAt }, alert: alert({ id: 'm', silenced: true }) },
    undefined,
  );
  const updated = withSilenceEnd(
    { kind: 'updated', alert: alert({ id: 'm', silenced: true }) },
    silenced,
  );
  const ended = withSilenceEnd(
    { kind: 'updated', alert: alert({ id: 'm', silenced: false }) },
    silenced,
  );

  assert.is(silenced.silencedUntil, endsAt);
  assert.is(updated.silencedUntil, endsAt);
  assert.is(ended.silencedUntil, undefined);
});

test('the acknowledger is you, the name the hub sent, or another user when it sent none', () => {
  const acked = alert({
    id: 'a',
    status: 'acknowledged',
    acknowledgedBy: 'u-17',
    acknowledgedByName: 'Nurse Demo',
  });
  const { acknowledgedByName: _name, ...unnamed } = acked;

  assert.is(acknowledgerLabel(acked, 'u-17'), 'you');
  assert.is(acknowledgerLabel(acked, 'u-18'), 'Nurse Demo');
  assert.is(acknowledgerLabel(acked, undefined), 'Nurse Demo');
  assert.is(acknowledgerLabel(unnamed, 'u-18'), 'another user');
  assert.is(acknowledgerLabel({ ...acked, acknowledgedByName: '  ' }, 'u-18'), 'another user');
  assert.is(acknowledgerLabel(alert({ id: 'b' }), 'u-17'), undefined);
});

test.run();
