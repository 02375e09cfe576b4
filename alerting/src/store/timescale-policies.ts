import type { Database } from '../db/index.js';
import { timescalePoliciesSql } from './schema-sql.js';

/** The TimescaleDB policies of `vitals.observation`, in whole days. */
export interface TimescalePolicies {
  compressAfterDays: number;
  /** Drop chunks older than this; unset keeps every reading. */
  retentionDays?: number;
}

const SETTING = 'timescale_policies';

/**
 * Sets the TimescaleDB policies only when they differ from those last applied (recorded
 * in `vitals.setting`), so the hourly upkeep does not remove and re-add every job.
 * Resolves `true` when it changed them.
 *
 * @example
 * ```ts
 * await applyTimescalePolicies(db, { compressAfterDays: 7, retentionDays: 3650 });
 * ```
 */
export async function applyTimescalePolicies(
  db: Pick<Database, 'transaction'>,
  policies: TimescalePolicies,
): Promise<boolean> {
  const sql = timescalePoliciesSql(policies);
  const wanted = JSON.stringify({
    compressAfterDays: policies.compressAfterDays,
    retentionDays: policies.retentionDays ?? null,
  });

  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ value: string }>(
      'select value from vitals.setting where key = $1 for update',
      [SETTING],
    );
    if (rows[0]?.value === wanted) {
      return false;
    }
    await tx.exec(sql);
    await tx.query(
      `insert into vitals.setting (key, value) values ($1, $2)
       on conflict (key) do update set value = excluded.value`,
      [SETTING, wanted],
    );

    return true;
  });
}
