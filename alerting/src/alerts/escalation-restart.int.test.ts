import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase } from '../db/index.js';
import { AlertEngine } from './alert-engine.js';
import { spo2, TestClock } from './test-fixtures.js';
import type { AlertEvent } from './types.js';

test('escalation continues on its schedule across a restart', async () => {
  const scratch = await createScratchDatabase();
  const clock = new TestClock();
  let db = await openDatabase({ url: scratch.url });
  let engine = await AlertEngine.open({ db, clock: clock.read });
  try {
    for (let s = 0; s < 12; s++) {
      await engine.handleObservations([spo2('p-esc', 84, clock.now)]);
      clock.advance(1000);
    }
    const [alert] = await engine.store.list({ patientId: 'p-esc', ruleId: 'spo2-low' });
    const raisedAt = Date.parse(alert.raisedAt);
    clock.now = raisedAt + 60_000;
    await engine.tick();
    await engine.close();
    await db.close();

    // The hub is down past the physician's turn at 120 s, and comes back at 130 s.
    db = await openDatabase({ url: scratch.url });
    engine = await AlertEngine.open({ db, clock: clock.read });
    const events: AlertEvent[] = [];
    engine.on('alertEvent', (e) => events.push(e));
    const targets = () =>
      events.filter((e) => e.kind === 'escalated' && e.alertId === alert.id).map((e) => e.detail);

    clock.now = raisedAt + 119_999;
    await engine.tick();
    assert.equal(targets(), [], 'the charge nurse keeps the alert until the physician is due');
    clock.now = raisedAt + 130_000;
    await engine.tick();
    assert.equal(
      targets().map((d) => [d.target, d.step]),
      [['physician', 2]],
    );
    // An overdue step goes out at once; the next link counts from when it went out.
    clock.now = raisedAt + 249_999;
    await engine.tick();
    assert.is(targets().length, 1);
    clock.now = raisedAt + 250_000;
    await engine.tick();
    assert.equal(
      targets().map((d) => d.target),
      ['physician', 'nurse'],
    );
    const history = await engine.store.history(alert.id);
    assert.equal(
      history.map((e) => e.kind),
      ['raised', 'escalated', 'escalated', 'escalated'],
    );
  } finally {
    await engine.close().catch(() => undefined);
    await db.close();
    await scratch.drop();
  }
});

test.run();
