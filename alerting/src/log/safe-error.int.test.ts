import { Writable } from 'node:stream';

import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertEngine } from '../alerts/alert-engine.js';
import { spo2, TestClock } from '../alerts/test-fixtures.js';
import { createScratchDatabase, openDatabase } from '../db/index.js';
import { serializeSafeError } from './safe-error.js';

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });

  return { lines, logger: pino({ level: 'debug' }, stream) };
}

// Regression: `log.error({ err })` logged whole PostgreSQL errors, whose `detail` quotes key
// values such as `Key (fingerprint)=(stale-data|p-secret-7|device/ox-7) already exists`.
test('a unique violation in the engine is logged with its SQLSTATE and no patient reference', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const { lines, logger } = memoryLogger();
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read, logger, tickIntervalMs: 5 });
  try {
    await engine.handleObservations([spo2('p-secret-7', 97, clock.now, 'ox-7')]);
    // An open alert the engine does not know of holds the fingerprint it is about to raise.
    await db.query(
      `insert into alerting.alerts (id, fingerprint, rule_id, rule_kind, patient_id, code, unit,
         severity, status, title, explanation, raised_at, updated_at)
       values (gen_random_uuid(), 'stale-data|p-secret-7|device/ox-7', 'stale-data', 'stale',
         'p-secret-7', 'device/ox-7', 'unassigned', 'low', 'firing', 'No data', '{}', now(), now())`,
    );
    clock.advance(60_000);

    engine.start();
    for (let i = 0; i < 2000 && !lines.some((l) => l.includes('tick failed')); i++) {
      await new Promise((ok) => setTimeout(ok, 5));
    }
    engine.stop();

    const failed = lines.find((l) => l.includes('tick failed'));
    assert.ok(failed, 'the failed tick is logged');
    const entry = JSON.parse(failed) as { err: Record<string, unknown> };
    assert.is(entry.err.code, '23505');
    assert.is(entry.err.constraint, 'alerts_open_fingerprint');
    for (const line of lines) {
      assert.not.match(line, 'p-secret-7');
      assert.not.match(line, 'ox-7');
    }
  } finally {
    await engine.close();
    await db.close();
    await scratch.drop();
  }
});

test('a PostgreSQL error keeps its code and object names; detail, where and hint are dropped', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await db.exec('create table t (k text primary key)');
    await db.query('insert into t values ($1)', ['spo2-low|p-1|spo2']);
    const error = await db.query('insert into t values ($1)', ['spo2-low|p-1|spo2']).then(
      () => assert.unreachable('a duplicate key'),
      (e: unknown) => e,
    );
    assert.match(String((error as { detail?: string }).detail), 'p-1', 'the raw error has it');

    const safe = serializeSafeError(new Error('write failed', { cause: error }));

    assert.equal(safe.cause, {
      type: 'DatabaseError',
      code: '23505',
      schema: 'public',
      table: 't',
      constraint: 't_pkey',
      cause: undefined,
    });
    assert.not.match(JSON.stringify(safe), 'p-1');
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test.run();
