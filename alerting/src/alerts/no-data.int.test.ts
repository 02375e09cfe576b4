import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase, type Database } from '../db/index.js';
import { AlertEngine } from './alert-engine.js';
import { spo2, TestClock, vital } from './test-fixtures.js';
import type { AlertEvent } from './types.js';

async function withEngine(
  fn: (engine: AlertEngine, clock: TestClock, db: Database) => Promise<void>,
) {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  try {
    await fn(engine, clock, db);
  } finally {
    await engine.close().catch(() => undefined);
    await db.close();
    await scratch.drop();
  }
}

function staleEvents(engine: AlertEngine): AlertEvent[] {
  const events: AlertEvent[] = [];
  engine.on('alertEvent', (e) => {
    if (e.alert.ruleId === 'stale-data') {
      events.push(e);
    }
  });

  return events;
}

test('out of the box, a silent oximeter raises no-data after 3 × its default 10 s', () =>
  withEngine(async (engine, clock) => {
    const events = staleEvents(engine);
    await engine.handleObservations([spo2('p-nd1', 97, clock.now, 'ox-9')]);

    clock.advance(30_000);
    await engine.tick();
    assert.equal(events, [], 'exactly 3 × cadence is not yet stale');
    clock.advance(1);
    await engine.tick();

    assert.equal(
      events.map((e) => [e.kind, e.alert.code, e.alert.patientId]),
      [['raised', 'device/ox-9', 'p-nd1']],
    );
  }));

// Regression: DeviceSeen kept one `code` per device, so an oximeter sending SpO2 and pulse
// flipped between them, and a cuff's pulse reading made it look like a 10 s device.
test('a multi-parameter device is stale per device, at its slowest code', () =>
  withEngine(async (engine, clock, db) => {
    const events = staleEvents(engine);
    const at = clock.now;
    await engine.handleObservations([
      vital('p-nd2', 'body-weight', 80, at, 'hub-scale-1'),
      vital('p-nd2', 'heart-rate', 72, at, 'hub-scale-1'),
    ]);
    await engine.handleObservations([vital('p-nd2', 'body-weight', 80.1, at + 1, 'hub-scale-1')]);

    clock.advance(60 * 60_000);
    await engine.tick();
    assert.equal(events, [], 'a daily device is not stale after an hour');
    await engine.close();
    const { rows } = await db.query<{ codes: string[] }>(
      `select codes from alerting.device_last_seen where device_id = 'hub-scale-1'`,
    );
    assert.equal(rows[0]?.codes, ['body-weight', 'heart-rate']);
  }));

test('a cadence set before the device is first seen applies from its first reading', () =>
  withEngine(async (engine, clock, db) => {
    const events = staleEvents(engine);
    assert.is(await engine.setDeviceCadence('scale-new', 60_000, 'it-1'), false, 'not seen yet');
    await engine.handleObservations([vital('p-nd3', 'body-weight', 70, clock.now, 'scale-new')]);

    clock.advance(180_001);
    await engine.tick();
    assert.equal(
      events.map((e) => [e.kind, e.alert.code]),
      [['raised', 'device/scale-new']],
    );
    assert.match(events[0].alert.explanation.summary, /expected every 60 s/);

    // It survives a restart, and null goes back to the daily default.
    await engine.close();
    const again = await AlertEngine.open({ db, clock: clock.read });
    assert.is(await again.setDeviceCadence('scale-new', null, 'it-1'), true);
    const { rows } = await db.query('select * from alerting.device_cadence');
    assert.equal(rows, []);
    await again.close();
  }));

test.run();
