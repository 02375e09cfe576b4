import type { Migration, Queryable } from '../db/index.js';
import type { PartitionInterval } from './partitions.js';
import {
  COMMON_SQL,
  CONTEXT_COLUMN_SQL,
  HYPERTABLE_SQL,
  PARTITIONED_SQL,
  READING_VIEW_SQL,
  UNEVALUATED_BATCH_SQL,
} from './schema-sql.js';

/** Which layout `vitals.observation` gets when the schema is first created. */
export type TimescaleMode = 'auto' | 'on' | 'off';

/** Options of {@link createVitalsMigrations}. */
export interface VitalsMigrationOptions {
  /**
   * `auto` (default) uses TimescaleDB when the server can load it, `on` requires it, `off`
   * always uses native partitions. Decided once, at the first start; recorded in
   * `vitals.setting` as `layout`.
   */
  timescale?: TimescaleMode;
  /** Native partition width (default `week`); recorded as `partition_interval`. */
  partitionInterval?: PartitionInterval;
}

async function tryTimescale(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ n: number }>(
    `select count(*)::int8 as n from pg_available_extensions where name = 'timescaledb'`,
  );
  if (rows[0]?.n !== 1) {
    return false;
  }
  // The library may be installed but not preloaded; a savepoint lets the migration fall
  // back to partitions instead of failing.
  await q.exec('savepoint vitals_timescale');
  try {
    await q.exec('create extension if not exists timescaledb');
    await q.exec('release savepoint vitals_timescale');

    return true;
  } catch {
    await q.exec('rollback to savepoint vitals_timescale');

    return false;
  }
}

/**
 * The migrations of schema `vitals`, for {@link runMigrations}.
 *
 * @example
 * ```ts
 * await runMigrations(db, { schema: 'vitals', migrations: createVitalsMigrations() });
 * ```
 */
export function createVitalsMigrations(options: VitalsMigrationOptions = {}): Migration[] {
  const mode = options.timescale ?? 'auto';
  const interval = options.partitionInterval ?? 'week';

  return [
    {
      name: '0001-observations',
      async up(q) {
        const timescale = mode !== 'off' && (await tryTimescale(q));
        if (mode === 'on' && !timescale) {
          throw new Error('timescale "on" but the timescaledb extension cannot be created');
        }

        await q.exec(COMMON_SQL);
        await q.exec(timescale ? HYPERTABLE_SQL : PARTITIONED_SQL);
        await q.exec(READING_VIEW_SQL);
        await q.query(
          `insert into vitals.setting (key, value) values ('layout', $1), ('partition_interval', $2)`,
          [timescale ? 'timescale' : 'partitions', interval],
        );
      },
    },
    {
      name: '0002-unevaluated-batches',
      up: (q) => q.exec(UNEVALUATED_BATCH_SQL),
    },
    {
      name: '0003-observation-context',
      up: (q) => q.exec(CONTEXT_COLUMN_SQL),
    },
  ];
}
