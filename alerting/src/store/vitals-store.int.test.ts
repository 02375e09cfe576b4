import { createObservation, type Observation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase, runMigrations, type Database } from '../db/index.js';
import { createVitalsMigrations } from './migrations.js';
import { partitionName, periodStart } from './partitions.js';
import { VitalsStore } from './vitals-store.js';

const device = { id: 'dev-1', model: 'CMS50D+', transport: 'serial' as const };

function spo2(patient: string, at: string, value: number, extra: Partial<Observation> = {}) {
  return {
    ...createObservation({ patient, device, code: 'spo2', value, effectiveAt: at }),
    ...extra,
  };
}

async function exercise(db: Database) {
  await runMigrations(db, { schema: 'vitals', migrations: createVitalsMigrations() });
  const store = await VitalsStore.open(db, { partitionsAhead: 2 });
  assert.is(store.layout, 'partitions');

  const now = new Date();
  const current = partitionName(periodStart(now, 'week'));
  const { rows: parts } = await db.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'vitals.observation'::regclass order by 1`,
  );
  assert.ok(
    parts.some((p) => p.name === current),
    'the current week has a partition',
  );
  assert.ok(parts.some((p) => p.name === 'observation_default'));

  // A batch, then the same batch again: stored once.
  const base = Date.parse('2026-11-02T10:00:00Z');
  const batch = [
    spo2('p-1', new Date(base).toISOString(), 97),
    spo2('p-1', new Date(base + 60_000).toISOString(), 91),
    spo2('p-1', new Date(base + 120_000).toISOString(), 88, { interpretation: ['L', 'a"b\\\t'] }),
    createObservation({
      patient: 'p-1',
      device: { id: 'cuff-1', transport: 'ble' },
      code: 'bp-panel',
      effectiveAt: new Date(base + 30_000).toISOString(),
      components: [
        { code: 'bp-systolic', value: 142 },
        { code: 'bp-diastolic', value: 91 },
      ],
    }),
  ];
  const first = await store.write({ agentId: 'agent-1', observations: batch });
  assert.is(first.stored.length, 4);
  assert.is(first.duplicates, 0);
  const again = await store.write({ agentId: 'agent-1', observations: batch });
  assert.is(again.stored.length, 0);
  assert.is(again.duplicates, 4);
  const mixed = await store.write({
    agentId: 'agent-1',
    observations: [batch[0], spo2('p-2', new Date(base).toISOString(), 99)],
  });
  assert.is(mixed.stored.length, 1);
  assert.is(mixed.duplicates, 1);
  const count = await db.query<{ n: number }>('select count(*)::int8 n from vitals.observation');
  assert.is(count.rows[0]?.n, 5);

  const odd = await db.query<{ interpretation: string[] }>(
    'select interpretation from vitals.observation where id = $1',
    [batch[2].id],
  );
  assert.equal(odd.rows[0]?.interpretation, ['L', 'a"b\\\t'], 'text survives COPY escaping');

  // Latest per code, panel components included; entered-in-error skipped.
  await store.write({
    agentId: 'agent-1',
    observations: [
      spo2('p-1', new Date(base + 180_000).toISOString(), 50, { status: 'entered-in-error' }),
    ],
  });
  const latest = await store.latest(['p-1', 'p-2'], ['spo2', 'bp-systolic', 'heart-rate']);
  assert.equal(
    latest.map((l) => [l.patient, l.code, l.value]),
    [
      ['p-1', 'bp-systolic', 142],
      ['p-1', 'spo2', 88],
      ['p-2', 'spo2', 99],
    ],
  );

  // Downsampled range: two-minute buckets.
  const series = await store.series({
    patient: 'p-1',
    code: 'spo2',
    from: new Date(base),
    to: new Date(base + 3_600_000),
    bucketSeconds: 120,
  });
  assert.equal(
    series.map((b) => [b.start.toISOString(), b.count, b.min, b.max, b.avg]),
    [
      ['2026-11-02T10:00:00.000Z', 2, 91, 97, 94],
      ['2026-11-02T10:02:00.000Z', 1, 88, 88, 88],
    ],
  );
  const systolic = await store.series({
    patient: 'p-1',
    code: 'bp-systolic',
    from: new Date(base),
    to: new Date(base + 3_600_000),
    bucketSeconds: 3600,
  });
  assert.equal(
    systolic.map((b) => b.max),
    [142],
  );

  // Device-days: three days for p-3, the last one only in Pacific time.
  await store.write({
    agentId: 'agent-1',
    observations: [
      spo2('p-3', '2026-11-03T12:00:00Z', 95),
      spo2('p-3', '2026-11-03T13:00:00Z', 95),
      spo2('p-3', '2026-11-04T12:00:00Z', 95, { device: { id: 'dev-2', transport: 'ble' } }),
      spo2('p-3', '2026-11-06T03:00:00Z', 95),
    ],
  });
  const utc = await store.deviceDays({
    patients: ['p-3', 'p-none'],
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
  });
  assert.equal(utc, [
    {
      patient: 'p-3',
      days: 3,
      devices: [
        { deviceId: 'dev-1', days: 2 },
        { deviceId: 'dev-2', days: 1 },
      ],
    },
  ]);
  const pacific = await store.deviceDays({
    patients: ['p-3'],
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
    timeZone: 'America/Los_Angeles',
  });
  assert.is(pacific[0]?.days, 3);
  assert.equal(pacific[0]?.devices[0], { deviceId: 'dev-1', days: 2 });

  // Last reading per device never goes back in time.
  await store.write({
    agentId: 'agent-1',
    observations: [spo2('p-3', '2026-10-01T00:00:00Z', 95)],
  });
  const activity = await store.deviceActivity({ patient: 'p-3' });
  assert.equal(
    activity.map((a) => [a.deviceId, a.lastEffectiveAt.toISOString()]),
    [
      ['dev-1', '2026-11-06T03:00:00.000Z'],
      ['dev-2', '2026-11-04T12:00:00.000Z'],
    ],
  );
  const silent = await store.deviceActivity({ silentSince: new Date('2026-11-05T00:00:00Z') });
  assert.ok(silent.some((a) => a.deviceId === 'dev-2' && a.patient === 'p-3'));
  assert.not.ok(silent.some((a) => a.deviceId === 'dev-1' && a.patient === 'p-3'));
}

async function exercisePartitions(db: Database) {
  await runMigrations(db, {
    schema: 'vitals',
    migrations: createVitalsMigrations({ partitionInterval: 'month' }),
  });
  const now = new Date();
  const store = await VitalsStore.open(db, { partitionsAhead: 1 });

  // A reading from long ago lands in the default partition: never rejected.
  const oldAt = new Date(now.getTime() - 700 * 86_400_000);
  const oldPartition = `vitals.${partitionName(periodStart(oldAt, 'month'))}`;
  const old = spo2('p-9', oldAt.toISOString(), 93);
  await store.write({ agentId: 'agent-1', observations: [old] });
  const where = async (id: string) =>
    (
      await db.query<{ t: string }>(
        'select tableoid::regclass::text as t from vitals.observation where id = $1',
        [id],
      )
    ).rows[0]?.t;
  assert.is(await where(old.id), 'vitals.observation_default');

  // Upkeep makes its month and moves it there; a resend is still a duplicate.
  const report = await store.maintain(now);
  assert.equal(report?.created, [oldPartition.slice('vitals.'.length)]);
  assert.is(report?.moved, 1);
  assert.is(await where(old.id), oldPartition);
  const resend = await store.write({ agentId: 'agent-1', observations: [old] });
  assert.is(resend.duplicates, 1);

  // Retention drops whole partitions past the cut-off and nothing newer.
  const recentAt = new Date(now.getTime() - 2 * 86_400_000);
  const recent = spo2('p-9', recentAt.toISOString(), 96);
  await store.write({ agentId: 'agent-1', observations: [recent] });
  assert.equal((await store.maintain(now))?.dropped, []);
  await VitalsStore.open(db, { retentionDays: 365 });
  assert.is(await where(old.id), undefined);
  const gone = await db.query(`select to_regclass($1) as t`, [oldPartition]);
  assert.is(gone.rows[0]?.t, null);
  assert.is(await where(recent.id), `vitals.${partitionName(periodStart(recentAt, 'month'))}`);
}

test('PostgreSQL: writes, dedupe, latest, series, device-days, activity', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await exercise(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test('PGlite: the same answers', async () => {
  const db = await openDatabase();
  try {
    await exercise(db);
  } finally {
    await db.close();
  }
});

test('PostgreSQL: partitions made ahead and for stray rows, retention by partition', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await exercisePartitions(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test('PGlite: the same partition upkeep', async () => {
  const db = await openDatabase();
  try {
    await exercisePartitions(db);
  } finally {
    await db.close();
  }
});

test.run();
