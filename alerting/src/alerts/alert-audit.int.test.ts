import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase } from '../db/index.js';
import { AlertEngine } from './alert-engine.js';
import { spo2, TestClock } from './test-fixtures.js';
import type { AuditEvent } from './types.js';

// Regression: a failed audit write was logged and dropped, leaving a gap in the
// hash-chained trail. Records now wait in alerting.audit_outbox until the sink takes them.
test('a failing audit sink loses no record: they arrive later, in order, once each', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  const trail: AuditEvent[] = [];
  let down = true;
  let refused = 0;
  const sink = (e: AuditEvent) => {
    if (down) {
      refused++;
      throw new Error('audit store unavailable');
    }
    trail.push(e);
  };
  const engine = await AlertEngine.open({ db, clock: clock.read, audit: sink });
  const outbox = async () =>
    (await db.query<{ n: number }>('select count(*)::int8 as n from alerting.audit_outbox')).rows[0]
      .n;
  try {
    await engine.setPatientUnit('p-aud', 'ward-a', 'admin-1');
    for (let s = 0; s < 12; s++) {
      await engine.handleObservations([spo2('p-aud', 85, clock.now)]);
      clock.advance(1000);
    }
    const [alert] = await engine.store.list({ patientId: 'p-aud', ruleId: 'spo2-low' });
    await engine.acknowledge(alert.id, 'nurse-1');

    assert.equal(trail, [], 'nothing reached the trail');
    assert.ok(refused > 0);
    const queued = await outbox();
    assert.ok(queued >= 4, 'unit, raised (SpO2 and NEWS2) and acknowledged wait');

    // Still down at the next tick: nothing lost, nothing sent.
    clock.advance(2000);
    await engine.tick();
    const waiting = await outbox();
    assert.ok(waiting >= queued);
    assert.equal(trail, []);

    down = false;
    clock.advance(60_000);
    await engine.tick();

    assert.is(await outbox(), 0);
    assert.ok(trail.length >= waiting);
    assert.equal(
      trail.filter((e) => !e.action.startsWith('alert.')).map((e) => e.action),
      ['patient-unit.set'],
    );
    const everyTransitionOnceInOrder = async () => {
      const { rows } = await db.query<{ cursor: number; kind: string; alert_id: string }>(
        'select cursor, kind, alert_id from alerting.alert_events order by cursor',
      );
      assert.equal(
        trail
          .filter((e) => e.action.startsWith('alert.'))
          .map((e) => [e.detail.cursor, e.action, e.entity]),
        rows.map((r) => [Number(r.cursor), `alert.${r.kind}`, `Alert/${r.alert_id}`]),
      );
    };
    await everyTransitionOnceInOrder();
    assert.ok(trail.some((e) => e.action === 'alert.acknowledged' && e.actor === 'nurse-1'));

    // Delivered records are not sent again.
    await engine.tick();
    await everyTransitionOnceInOrder();
  } finally {
    await engine.close();
    await db.close();
    await scratch.drop();
  }
});

test.run();
