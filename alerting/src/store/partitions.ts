import type { Queryable } from '../db/index.js';

/** Width of one native partition of `vitals.observation`. */
export type PartitionInterval = 'day' | 'week' | 'month';

/** What one run of {@link maintainPartitions} did. */
export interface PartitionReport {
  created: string[];
  dropped: string[];
  /** Rows moved out of the default partition into a partition created for them. */
  moved: number;
}

/** Options of {@link maintainPartitions}. */
export interface MaintainPartitionsOptions {
  interval: PartitionInterval;
  now?: Date;
  /** Periods created ahead of `now` (default 4). */
  ahead?: number;
  /** Drop partitions wholly older than this many days (default: keep everything). */
  retentionDays?: number;
  /** At most this many partitions created for stray rows in one run (default 24). */
  maxBackfill?: number;
}

const DAY_MS = 86_400_000;

/** The UTC start of the period holding `t`; weeks start on Monday. [ISO 8601 week] */
export function periodStart(t: Date, interval: PartitionInterval): Date {
  const day = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  switch (interval) {
    case 'day':
      return new Date(day);
    case 'week':
      return new Date(day - ((t.getUTCDay() + 6) % 7) * DAY_MS);
    case 'month':
      return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
  }
}

/** The start of the period after the one starting at `start`. */
export function nextPeriod(start: Date, interval: PartitionInterval): Date {
  switch (interval) {
    case 'day':
      return new Date(start.getTime() + DAY_MS);
    case 'week':
      return new Date(start.getTime() + 7 * DAY_MS);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** `observation_p20261130`: the partition starting at `start`. */
export function partitionName(start: Date): string {
  return `observation_p${start.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

function parseName(name: string): Date | undefined {
  const m = /^observation_p(\d{4})(\d{2})(\d{2})$/.exec(name);

  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

async function listPartitions(q: Queryable): Promise<Date[]> {
  const { rows } = await q.query<{ name: string }>(
    `select c.relname as name
     from pg_inherits i
     join pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'vitals.observation'::regclass`,
  );

  return rows.map((r) => parseName(r.name)).filter((d): d is Date => d !== undefined);
}

async function createPartition(q: Queryable, from: Date, to: Date): Promise<number> {
  const name = partitionName(from);
  const bounds = `from ('${from.toISOString()}') to ('${to.toISOString()}')`;
  const range = [from.toISOString(), to.toISOString()];
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int8 as n from vitals.observation_default
     where effective_at >= $1 and effective_at < $2`,
    range,
  );
  const stray = rows[0]?.n ?? 0;
  if (stray === 0) {
    await q.exec(
      `create table vitals.${name} partition of vitals.observation for values ${bounds}`,
    );

    return 0;
  }

  // [PostgreSQL 15 sql-createtable: a new partition fails while the default partition holds
  // rows in its range] so the rows move first, then the table is attached.
  await q.exec(`create table vitals.${name} (like vitals.observation including defaults)`);
  await q.query(
    `with moved as (
       delete from vitals.observation_default
       where effective_at >= $1 and effective_at < $2
       returning *
     )
     insert into vitals.${name} select * from moved`,
    range,
  );
  await q.exec(
    `alter table vitals.observation attach partition vitals.${name} for values ${bounds}`,
  );

  return stray;
}

async function strayPeriods(q: Queryable, interval: PartitionInterval, limit: number) {
  // Epoch seconds of each UTC day holding a stray row; folded into periods here.
  const { rows } = await q.query<{ s: number }>(
    `select distinct extract(epoch from date_trunc('day', effective_at at time zone 'UTC'))::float8 as s
     from vitals.observation_default
     order by 1
     limit $1`,
    [limit * 31],
  );
  const starts = new Map<number, Date>();
  for (const { s } of rows) {
    const start = periodStart(new Date(Number(s) * 1000), interval);
    starts.set(start.getTime(), start);
  }

  return [...starts.values()].slice(0, limit);
}

/**
 * Keeps the native partitions of `vitals.observation`: creates the current period and
 * `ahead` more, creates partitions for rows that landed in the default partition (a
 * backfill from a long-offline agent, a device with a wrong clock) and moves them there,
 * and drops partitions older than the retention. Run it in one transaction; it takes an
 * advisory lock so two hubs never race.
 *
 * @example
 * ```ts
 * await db.transaction((tx) => maintainPartitions(tx, { interval: 'week', ahead: 4 }));
 * ```
 */
export async function maintainPartitions(
  q: Queryable,
  options: MaintainPartitionsOptions,
): Promise<PartitionReport> {
  const now = options.now ?? new Date();
  const report: PartitionReport = { created: [], dropped: [], moved: 0 };

  await q.query('select pg_advisory_xact_lock($1)', [0x5d_5d_0002]);
  const existing = new Set((await listPartitions(q)).map((d) => d.getTime()));
  const wanted: Date[] = [];
  let start = periodStart(now, options.interval);
  for (let i = 0; i <= (options.ahead ?? 4); i++) {
    wanted.push(start);
    start = nextPeriod(start, options.interval);
  }
  wanted.push(...(await strayPeriods(q, options.interval, options.maxBackfill ?? 24)));
  for (const from of wanted) {
    if (existing.has(from.getTime())) {
      continue;
    }
    report.moved += await createPartition(q, from, nextPeriod(from, options.interval));
    existing.add(from.getTime());
    report.created.push(partitionName(from));
  }
  if (options.retentionDays !== undefined) {
    const cutoff = now.getTime() - options.retentionDays * DAY_MS;
    for (const from of [...existing].map((t) => new Date(t))) {
      if (nextPeriod(from, options.interval).getTime() <= cutoff) {
        await q.exec(`drop table vitals.${partitionName(from)}`);
        report.dropped.push(partitionName(from));
      }
    }
    await q.query('delete from vitals.observation_default where effective_at < $1', [
      new Date(cutoff).toISOString(),
    ]);
  }

  return report;
}
