/**
 * The TimescaleDB layout, run only when `SD_TEST_PGLITE_TIMESCALE` names the ES module of a
 * PGlite build that carries the `timescaledb` extension (exporting `PGlite`, with the
 * extension at `./timescaledb/index.js` beside it). None is a dependency and none is in
 * node_modules (see alerting/README.md, "Testing the TimescaleDB path"), so a reviewer points
 * this at an unpacked copy by hand. Without the variable the test is registered as skipped
 * and a `SKIP` line says why: the runner counts it as skipped, never as passed. The SQL text
 * itself is checked on every run by schema-sql.test.ts.
 */
import { createObservation } from '@sparkden/protocol';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { runMigrations, type Database, type Queryable } from '../db/index.js';
import { createVitalsMigrations } from './migrations.js';
import { VitalsStore } from './vitals-store.js';

interface PgliteLike {
  waitReady: Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: PgliteLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const entry = process.env.SD_TEST_PGLITE_TIMESCALE;
const TITLE =
  'TimescaleDB: hypertable, policies, continuous aggregate, dedupe into compressed chunks';

async function openTimescalePglite(path: string): Promise<Database> {
  const { PGlite } = (await import(pathToFileURL(path).href)) as {
    PGlite: new (o: object) => PgliteLike;
  };
  const extension = join(dirname(path), 'timescaledb', 'index.js');
  const { timescaledb } = (await import(pathToFileURL(extension).href)) as { timescaledb: object };
  const pg = new PGlite({ extensions: { timescaledb } });
  await pg.waitReady;
  const wrap = (q: PgliteLike): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      const r = await q.query(sql, params);

      return { rows: r.rows as R[], rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const base = wrap(pg);

  return {
    kind: 'pglite',
    query: base.query,
    exec: base.exec,
    session: (fn) => fn(base),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}

if (entry === undefined) {
  console.log(
    'SKIP TimescaleDB layout: SD_TEST_PGLITE_TIMESCALE is unset (no PGlite build with ' +
      'timescaledb is a dependency); its SQL is NOT executed here, see alerting/README.md',
  );
  test.skip(TITLE, () => undefined);
} else {
  test(TITLE, async () => {
    const db = await openTimescalePglite(entry);
    try {
      await runMigrations(db, { schema: 'vitals', migrations: createVitalsMigrations() });
      const store = await VitalsStore.open(db, { retentionDays: 3650, compressAfterDays: 7 });
      assert.is(store.layout, 'timescale');

      const t0 = Date.parse('2026-11-02T10:00:00Z');
      const device = { id: 'd1', transport: 'serial' as const };
      const obs = Array.from({ length: 120 }, (_, i) =>
        createObservation({
          patient: 'p-1',
          device,
          code: 'spo2',
          value: 90 + (i % 10),
          effectiveAt: new Date(t0 + i * 60_000).toISOString(),
        }),
      );
      assert.is((await store.write({ agentId: 'a', observations: obs })).stored.length, 120);

      const hourly = {
        patient: 'p-1',
        code: 'spo2',
        from: new Date(t0),
        to: new Date(t0 + 7_200_000),
      };
      const fromAggregate = await store.series({ ...hourly, bucketSeconds: 3600 });
      const fromRows = await store.series({
        ...hourly,
        bucketSeconds: 3600,
        from: new Date(t0 + 1),
      });
      assert.equal(
        fromAggregate.map((b) => [b.count, b.avg, b.min, b.max]),
        [
          [60, 94.5, 90, 99],
          [60, 94.5, 90, 99],
        ],
      );
      assert.is(fromRows.length, 2);

      const jobs = await db.query<{ proc_name: string }>(
        `select proc_name from timescaledb_information.jobs where hypertable_schema = 'vitals' order by 1`,
      );
      assert.equal(
        jobs.rows.map((j) => j.proc_name),
        ['policy_compression', 'policy_refresh_continuous_aggregate', 'policy_retention'],
      );

      await db.query(`select compress_chunk(c) from show_chunks('vitals.observation') c`);
      const resend = await store.write({ agentId: 'a', observations: obs.slice(0, 5) });
      assert.is(resend.duplicates, 5, 'duplicates are caught in compressed chunks too');
      assert.is((await store.latest(['p-1'], ['spo2']))[0]?.value, 99);
    } finally {
      await db.close();
    }
  });
}

test.run();
