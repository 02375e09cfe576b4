/**
 * The SQL of the vitals schema, both layouts side by side so a reviewer reads them together:
 * native range partitions (plain PostgreSQL and PGlite) and a TimescaleDB hypertable. The
 * columns, keys and indexes are the same in both; only how time is split differs.
 */

/** Columns of `vitals.observation` as migration 0001 creates them, in table order. */
const FIRST_COLUMNS = [
  ['id', 'uuid not null'],
  ['patient', 'text not null'],
  ['device_id', 'text not null'],
  ['device_model', 'text'],
  ['device_serial', 'text'],
  ['transport', 'text not null'],
  ['agent_id', 'text'],
  ['code', 'text not null'],
  ['loinc', 'text not null'],
  ['mdc', 'integer'],
  ['value', 'double precision'],
  ['unit', 'text'],
  ['data_absent_reason', 'text'],
  ['components', 'jsonb'],
  ['effective_at', 'timestamptz not null'],
  ['device_time', 'timestamptz'],
  ['received_at', 'timestamptz not null'],
  ['stored_at', 'timestamptz not null default now()'],
  ['status', 'text not null'],
  ['quality', "text[] not null default '{}'"],
  ['interpretation', 'text[]'],
] as const;

/**
 * Columns later migrations add, in the order they add them (`alter table … add column`
 * appends): 0003 adds `context`, the glucose reading's context as the protocol carries it.
 */
export const ADDED_COLUMNS = [['context', 'jsonb']] as const;

/** Columns of `vitals.observation`, in table order (COPY and staging rely on it). */
export const OBSERVATION_COLUMNS = [...FIRST_COLUMNS, ...ADDED_COLUMNS] as const;

/** One column name of `vitals.observation`. */
export type ObservationColumn = (typeof OBSERVATION_COLUMNS)[number][0];

const columns = FIRST_COLUMNS.map(([name, type]) => `${name} ${type}`).join(',\n  ');

// [PostgreSQL 15 ddl-partitioning 5.11.2.3: a unique constraint on a partitioned table must
// include the partition key] The same holds for hypertables. A resend carries the very bytes
// the agent sealed once, so (id, effective_at) of a duplicate always matches the first copy.
const observationTable = (tail: string) => `
create table vitals.observation (
  ${columns},
  primary key (id, effective_at)
)${tail};
create index observation_patient_code_time
  on vitals.observation (patient, code, effective_at desc);
create index observation_patient_time
  on vitals.observation (patient, effective_at);`;

/** Tables common to both layouts: settings, alarms, and per-device last reading times. */
export const COMMON_SQL = `
create table vitals.setting (
  key text primary key,
  value text not null
);
create table vitals.alarm (
  id uuid primary key,
  agent_id text not null,
  patient text not null,
  device_id text not null,
  kind text not null,
  severity text not null,
  code text not null,
  reason text not null,
  observation_id uuid,
  raised_at timestamptz not null,
  stored_at timestamptz not null default now()
);
create index alarm_patient_time on vitals.alarm (patient, raised_at desc);
create table vitals.device_activity (
  device_id text not null,
  patient text not null,
  agent_id text,
  last_effective_at timestamptz not null,
  last_received_at timestamptz not null,
  last_stored_at timestamptz not null default now(),
  primary key (device_id, patient)
);`;

/**
 * Batches committed but not yet through the rule engine, one row per agent, kind and seq,
 * written in the transaction that stores the readings and deleted once the engine has
 * committed the alerts they raised. The same in both layouts.
 */
export const UNEVALUATED_BATCH_SQL = `
create table vitals.unevaluated_batch (
  agent_id text not null,
  kind text not null check (kind in ('obs', 'alarm')),
  seq bigint not null,
  ids uuid[] not null,
  committed_at timestamptz not null default now(),
  primary key (agent_id, kind, seq)
);`;

/** Native layout: range partitions on `effective_at`, a default partition catching the rest. */
export const PARTITIONED_SQL = `${observationTable(' partition by range (effective_at)')}
create table vitals.observation_default partition of vitals.observation default;`;

/**
 * TimescaleDB layout: a hypertable with 7-day chunks, compression segmented by patient and
 * code, and an hourly continuous aggregate per patient and code. Policies (compression
 * age, retention, aggregate refresh) are set from the configuration when it changes.
 */
export const HYPERTABLE_SQL = `${observationTable('')}
select create_hypertable('vitals.observation', 'effective_at',
  chunk_time_interval => interval '7 days');
alter table vitals.observation set (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'patient, code',
  timescaledb.compress_orderby = 'effective_at desc'
);
create materialized view vitals.observation_hourly
  with (timescaledb.continuous, timescaledb.materialized_only = false) as
  select time_bucket(interval '1 hour', effective_at) as bucket,
         patient,
         code,
         count(value) as n,
         sum(value) as total,
         min(value) as low,
         max(value) as high
  from vitals.observation
  where value is not null and status <> 'entered-in-error'
  group by 1, 2, 3
  with no data;`;

/** Migration 0003: the context of a reading (glucose meal, carbohydrate, …), or null. */
export const CONTEXT_COLUMN_SQL = `alter table vitals.observation add column context jsonb;`;

/**
 * One value per row, panels unfolded: a blood-pressure panel yields one row per component,
 * so charts and latest-value queries ask for 'bp-systolic' the same way as for 'spo2'.
 */
export const READING_VIEW_SQL = `
create view vitals.reading as
  select o.id, o.patient, o.device_id, o.code, o.value, o.unit, o.effective_at, o.status
  from vitals.observation o
  where o.value is not null
  union all
  select o.id, o.patient, o.device_id, c.code, c.value, c.unit, o.effective_at, o.status
  from vitals.observation o
  cross join lateral jsonb_to_recordset(o.components) as c(code text, value float8, unit text)
  where o.components is not null and c.value is not null;`;

/**
 * Sets the TimescaleDB policies from the configuration (each removed, then added again);
 * `applyTimescalePolicies` runs it only when the configuration changed.
 * Arguments are whole numbers of days, checked before they reach the SQL.
 * [TimescaleDB 2.8: `remove_continuous_aggregate_policy`'s `if_not_exists` renamed `if_exists`]
 */
export function timescalePoliciesSql(policies: {
  compressAfterDays: number;
  retentionDays?: number;
}): string {
  const days = [policies.compressAfterDays, policies.retentionDays ?? 1];
  if (!days.every((d) => Number.isInteger(d) && d > 0)) {
    throw new TypeError('"compressAfterDays" and "retentionDays" must be whole days > 0');
  }
  const retention =
    policies.retentionDays === undefined
      ? ''
      : `select add_retention_policy('vitals.observation', interval '${policies.retentionDays} days');`;

  return `
select remove_compression_policy('vitals.observation', if_exists => true);
select add_compression_policy('vitals.observation', interval '${policies.compressAfterDays} days');
select remove_retention_policy('vitals.observation', if_exists => true);
${retention}
select remove_continuous_aggregate_policy('vitals.observation_hourly', if_exists => true);
select add_continuous_aggregate_policy('vitals.observation_hourly',
  start_offset => interval '3 days',
  end_offset => interval '1 hour',
  schedule_interval => interval '30 minutes');`;
}
