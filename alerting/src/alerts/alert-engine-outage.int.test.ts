import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase, TEST_SERVER_URL } from '../db/index.js';
import { AlertEngine } from './alert-engine.js';
import { spo2, TestClock } from './test-fixtures.js';
import type { AlertEvent } from './types.js';

// Regression: a failed transition store used to clear the open alerts and reload them
// with `store.open().catch(() => [])`; with the database down the reload failed too, the
// engine forgot the alert, stopped escalating it, showed an empty console and never
// cleared it.
test('database down: open alerts stay in memory, escalation resumes and the alert clears', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  const events: AlertEvent[] = [];
  engine.on('alertEvent', (e) => events.push(e));
  const feed = async (values: number[]) => {
    for (const v of values) {
      await engine.handleObservations([spo2('p-out', v, clock.now)]);
      clock.advance(1000);
    }
  };
  const openSpo2 = () =>
    engine
      .openByPatient()
      .flatMap((g) => g.alerts)
      .filter((a) => a.ruleId === 'spo2-low');
  const setConnections = async (allow: boolean) => {
    await admin.query(`alter database ${scratch.name} allow_connections ${allow}`);
    if (!allow) {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1',
        [scratch.name],
      );
    }
  };

  try {
    await feed(Array(12).fill(85));
    const [alert] = openSpo2();
    assert.is(alert?.escalation?.target, 'nurse');
    const raisedAt = Date.parse(alert.raisedAt);

    await setConnections(false);
    try {
      // Due for the charge nurse, but the escalation cannot be stored.
      clock.now = raisedAt + 60_000;
      for (let i = 0; i < 3; i++) {
        await engine.tick().then(
          () => assert.unreachable('the store is down'),
          (e: unknown) => assert.instance(e, Error),
        );
        assert.equal(
          openSpo2().map((a) => [a.id, a.escalation?.target]),
          [[alert.id, 'nurse']],
          'the alert stays open in memory, at its stored step',
        );
      }
    } finally {
      await setConnections(true);
    }

    await engine.tick();
    const escalated = events.filter((e) => e.kind === 'escalated' && e.alertId === alert.id);
    assert.equal(
      escalated.map((e) => e.detail.target),
      ['charge-nurse'],
    );
    assert.equal(
      (await engine.store.history(alert.id)).map((e) => e.kind),
      ['raised', 'escalated'],
    );

    await feed(Array(12).fill(96));
    const cleared = events.find((e) => e.kind === 'condition-cleared' && e.alertId === alert.id);
    assert.ok(cleared, 'the alert clears once SpO2 recovers');
    assert.is(typeof (await engine.get(alert.id))?.clearedAt, 'string');
    await engine.close();
  } finally {
    await admin.end();
    await db.close();
    await scratch.drop();
  }
});

test.run();
