import type { Observation } from '@sparkden/protocol';
import type pg from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';

import type { Database, Queryable } from '../db/index.js';
import {
  WRITE_COLUMNS,
  encodeCopyText,
  recordsetTypes,
  toObservationRow,
  type AlarmRow,
} from './rows.js';

/** What one committed write did. */
export interface WriteResult {
  /** Ids of observations newly stored, in batch order. */
  stored: string[];
  /** Observations already present (a resend). */
  duplicates: number;
  /** Ids of alarms newly stored. */
  alarmsStored: string[];
  alarmDuplicates: number;
  /**
   * With `pending`: ids of this batch stored but not yet evaluated, whether stored now or
   * by an earlier delivery whose evaluation never finished. Otherwise absent.
   */
  unevaluated?: string[];
}

/** Marks a batch as awaiting the rule engine (`vitals.unevaluated_batch`). */
export interface PendingBatch {
  kind: 'obs' | 'alarm';
  /** The batch seq, a decimal integer. */
  seq: string;
}

/** One batch to write in one transaction. */
export interface WriteBatchInput {
  agentId: string;
  observations: readonly Observation[];
  alarms?: readonly AlarmRow[];
  /** Record the stored ids as unevaluated, in the same transaction. */
  pending?: PendingBatch;
}

const COLUMN_LIST = WRITE_COLUMNS.join(', ');

const INSERT_FROM_JSON = `
insert into vitals.observation (${COLUMN_LIST})
select ${COLUMN_LIST} from jsonb_to_recordset($1::jsonb) as r(${recordsetTypes()})
on conflict do nothing
returning id`;

const INSERT_FROM_STAGE = `
insert into vitals.observation (${COLUMN_LIST})
select ${COLUMN_LIST} from pg_temp.vitals_stage
on conflict do nothing
returning id`;

const INSERT_ALARMS = `
insert into vitals.alarm (id, agent_id, patient, device_id, kind, severity, code, reason,
                          observation_id, raised_at)
select id, "agentId", patient, "deviceId", kind, severity, code, reason, "observationId",
       "raisedAt"
from jsonb_to_recordset($1::jsonb) as r(id uuid, "agentId" text, patient text, "deviceId" text,
     kind text, severity text, code text, reason text, "observationId" uuid,
     "raisedAt" timestamptz)
on conflict do nothing
returning id`;

// Per device the newest reading time, for no-data rules. greatest() keeps it monotonic
// when a backlog arrives after fresher readings.
const UPSERT_ACTIVITY = `
insert into vitals.device_activity (device_id, patient, agent_id, last_effective_at,
                                    last_received_at)
select device_id, patient, agent_id, last_effective_at, last_received_at
from jsonb_to_recordset($1::jsonb) as r(device_id text, patient text, agent_id text,
     last_effective_at timestamptz, last_received_at timestamptz)
order by device_id, patient
on conflict (device_id, patient) do update set
  agent_id = excluded.agent_id,
  last_effective_at = greatest(vitals.device_activity.last_effective_at,
                               excluded.last_effective_at),
  last_received_at = greatest(vitals.device_activity.last_received_at,
                              excluded.last_received_at),
  last_stored_at = now()`;

// A resend merges into the row of the first delivery: the ids still owed an evaluation are
// those of every delivery of this seq whose evaluation has not finished.
const UPSERT_UNEVALUATED = `
insert into vitals.unevaluated_batch (agent_id, kind, seq, ids)
values ($1, $2, $3::int8, $4::uuid[])
on conflict (agent_id, kind, seq) do update set
  ids = array(select distinct unnest(vitals.unevaluated_batch.ids || excluded.ids))
returning ids::text[] as ids`;

const SELECT_UNEVALUATED = `
select ids::text[] as ids from vitals.unevaluated_batch
where agent_id = $1 and kind = $2 and seq = $3::int8`;

async function recordUnevaluated(
  q: Queryable,
  input: WriteBatchInput,
  pending: PendingBatch,
  newIds: string[],
): Promise<string[]> {
  const key = [input.agentId, pending.kind, pending.seq];
  const { rows } =
    newIds.length > 0
      ? await q.query<{ ids: string[] }>(UPSERT_UNEVALUATED, [...key, newIds])
      : await q.query<{ ids: string[] }>(SELECT_UNEVALUATED, key);

  return rows[0]?.ids ?? [];
}

function activityRows(agentId: string, observations: readonly Observation[]) {
  const byDevice = new Map<string, { effective: number; received: number; patient: string }>();
  for (const o of observations) {
    const key = JSON.stringify([o.device.id, o.patient]);
    const seen = byDevice.get(key);
    const effective = Date.parse(o.effectiveAt);
    const received = Date.parse(o.receivedAt);
    byDevice.set(key, {
      patient: o.patient,
      effective: Math.max(effective, seen?.effective ?? effective),
      received: Math.max(received, seen?.received ?? received),
    });
  }

  return [...byDevice.entries()].map(([key, v]) => ({
    device_id: (JSON.parse(key) as string[])[0],
    patient: v.patient,
    agent_id: agentId,
    last_effective_at: new Date(v.effective).toISOString(),
    last_received_at: new Date(v.received).toISOString(),
  }));
}

// Connections that already have the staging table; it lives as long as the connection.
const staged = new WeakSet<pg.PoolClient>();

// Created outside any transaction: a rollback must not take the table with it.
async function ensureStage(client: pg.PoolClient) {
  if (staged.has(client)) {
    return;
  }
  await client.query(
    `create temp table if not exists vitals_stage
     (like vitals.observation including defaults) on commit delete rows`,
  );
  staged.add(client);
}

async function copyInto(client: pg.PoolClient, table: string, text: string) {
  const copy = client.query(copyFrom(`copy ${table} (${COLUMN_LIST}) from stdin`));
  await pipeline(Readable.from([text]), copy);
}

// [PostgreSQL Appendix A: 23505 unique_violation]
const isUniqueViolation = (e: unknown) => (e as { code?: unknown }).code === '23505';

/**
 * A first delivery (the common case) is COPY'd straight into the table. Only when that hits
 * a row already stored (a resend) does the batch go through the staging table and
 * `on conflict do nothing`; the savepoint undoes the failed COPY.
 */
async function copyObservations(client: pg.PoolClient, input: WriteBatchInput) {
  const text = encodeCopyText(input.observations.map((o) => toObservationRow(o, input.agentId)));
  await client.query('savepoint vitals_direct');
  try {
    await copyInto(client, 'vitals.observation', text);
    await client.query('release savepoint vitals_direct');

    return input.observations.map((o) => o.id);
  } catch (error) {
    if (!isUniqueViolation(error)) {
      throw error;
    }
    await client.query('rollback to savepoint vitals_direct');
  }
  await copyInto(client, 'pg_temp.vitals_stage', text);
  const { rows: inserted } = await client.query<{ id: string }>(INSERT_FROM_STAGE);

  return inserted.map((r) => r.id);
}

async function insertObservations(q: Queryable, input: WriteBatchInput) {
  const rows = input.observations.map((o) => toObservationRow(o, input.agentId));
  const { rows: inserted } = await q.query<{ id: string }>(INSERT_FROM_JSON, [
    JSON.stringify(rows),
  ]);

  return inserted.map((r) => r.id);
}

async function writeRest(q: Queryable, input: WriteBatchInput, storedIds: string[]) {
  const alarms = input.alarms ?? [];
  const alarmsStored =
    alarms.length === 0
      ? []
      : (await q.query<{ id: string }>(INSERT_ALARMS, [JSON.stringify(alarms)])).rows.map(
          (r) => r.id,
        );
  if (input.observations.length > 0) {
    await q.query(UPSERT_ACTIVITY, [
      JSON.stringify(activityRows(input.agentId, input.observations)),
    ]);
  }
  const stored = new Set(storedIds);
  const result: WriteResult = {
    stored: input.observations.filter((o) => stored.has(o.id)).map((o) => o.id),
    duplicates: input.observations.length - stored.size,
    alarmsStored,
    alarmDuplicates: alarms.length - alarmsStored.length,
  };
  if (input.pending !== undefined) {
    const newIds = input.pending.kind === 'obs' ? result.stored : alarmsStored;
    result.unevaluated = await recordUnevaluated(q, input, input.pending, newIds);
  }

  return result;
}

function wrap(client: pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params);

      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

async function writeWithCopy(pool: pg.Pool, input: WriteBatchInput): Promise<WriteResult> {
  const client = await pool.connect();
  let failed = false;
  try {
    await ensureStage(client);
    await client.query('begin');
    const ids = input.observations.length > 0 ? await copyObservations(client, input) : [];
    const result = await writeRest(wrap(client), input, ids);
    await client.query('commit');

    return result;
  } catch (error) {
    failed = true;
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    // After any failure the connection is discarded: it may be half-broken (an outage), and
    // a fresh one costs little next to a batch.
    client.release(failed);
  }
}

/**
 * Writes observations (and alarms) in one transaction, ignoring ones already stored, and
 * updates each device's last reading time. PostgreSQL: COPY straight into the table, or on
 * a resend COPY into a per-connection staging table and one `insert … on conflict do
 * nothing`. PGlite: one multi-row insert from a JSON recordset. Either way it resolves
 * only after the commit.
 *
 * @example
 * ```ts
 * const { stored, duplicates } = await writeBatch(db, { agentId, observations });
 * ```
 */
export async function writeBatch(db: Database, input: WriteBatchInput): Promise<WriteResult> {
  if (db.kind === 'postgres' && db.pool !== undefined) {
    return writeWithCopy(db.pool, input);
  }

  return db.transaction(async (tx) => {
    const ids = input.observations.length > 0 ? await insertObservations(tx, input) : [];

    return writeRest(tx, input, ids);
  });
}

/**
 * Records that the rule engine has evaluated a batch (and committed its alerts): deletes its
 * `vitals.unevaluated_batch` row. Idempotent.
 *
 * @example
 * ```ts
 * await markBatchEvaluated(db, 'agent-1', { kind: 'obs', seq: '42' });
 * ```
 */
export async function markBatchEvaluated(
  db: Queryable,
  agentId: string,
  batch: PendingBatch,
): Promise<void> {
  await db.query(
    'delete from vitals.unevaluated_batch where agent_id = $1 and kind = $2 and seq = $3::int8',
    [agentId, batch.kind, batch.seq],
  );
}
