import { BP_COMPONENTS, VITAL_CODE_KEYS } from '@sparkden/protocol';

import type { Queryable } from '../db/index.js';

/** The newest value of one code for one patient. */
export interface LatestValue {
  patient: string;
  code: string;
  value: number;
  unit: string | null;
  effectiveAt: Date;
  observationId: string;
  deviceId: string;
}

/** One time bucket of a downsampled series. */
export interface SeriesBucket {
  start: Date;
  count: number;
  avg: number;
  min: number;
  max: number;
}

/** Options of {@link querySeries}. */
export interface SeriesQuery {
  patient: string;
  /** A vital code; panel components ('bp-systolic') are read from their panel. */
  code: string;
  from: Date;
  to: Date;
  /** Bucket width in seconds (≥ 1). */
  bucketSeconds: number;
}

/** Distinct days with at least one reading, per patient and per device. */
export interface DeviceDays {
  patient: string;
  days: number;
  devices: Array<{ deviceId: string; days: number }>;
}

/** Options of {@link queryDeviceDays}. */
export interface DeviceDaysQuery {
  patients: string[];
  from: Date;
  to: Date;
  /** IANA zone in which a day is counted (default 'UTC'). */
  timeZone?: string;
}

/** A device's newest reading times, for no-data rules. */
export interface DeviceActivity {
  deviceId: string;
  patient: string;
  agentId: string | null;
  lastEffectiveAt: Date;
  lastReceivedAt: Date;
}

const VALUE_CODES = [...VITAL_CODE_KEYS.filter((c) => c !== 'bp-panel')];

// [TimescaleDB time_bucket: buckets are aligned to 2000-01-03, a Monday] date_bin is given
// the same origin so both layouts answer alike.
const ORIGIN = '2000-01-03T00:00:00Z';

const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(v));

/**
 * The newest value of each code for each patient, panel components included; readings
 * entered in error are skipped. One indexed lookup per patient and code.
 *
 * @example
 * ```ts
 * const latest = await queryLatestValues(db, ['p-1'], ['spo2', 'heart-rate']);
 * ```
 */
export async function queryLatestValues(
  q: Queryable,
  patients: string[],
  codes: string[] = VALUE_CODES,
): Promise<LatestValue[]> {
  if (patients.length === 0 || codes.length === 0) {
    return [];
  }

  const { rows } = await q.query<{
    patient: string;
    code: string;
    value: number;
    unit: string | null;
    effective_at: Date | string;
    id: string;
    device_id: string;
  }>(
    `select p.patient, c.code, r.value, r.unit, r.effective_at, r.id, r.device_id
     from unnest($1::text[]) as p(patient)
     cross join unnest($2::text[]) as c(code)
     cross join lateral (
       select v.value, v.unit, v.effective_at, v.id, v.device_id
       from vitals.reading v
       where v.patient = p.patient
         and v.code = c.code
         and v.status <> 'entered-in-error'
       order by v.effective_at desc
       limit 1
     ) as r
     order by p.patient, c.code`,
    [patients, codes],
  );

  return rows.map((r) => ({
    patient: r.patient,
    code: r.code,
    value: r.value,
    unit: r.unit,
    effectiveAt: asDate(r.effective_at),
    observationId: r.id,
    deviceId: r.device_id,
  }));
}

function checkSeries(s: SeriesQuery) {
  if (!Number.isInteger(s.bucketSeconds) || s.bucketSeconds < 1) {
    throw new TypeError('"bucketSeconds" must be a whole number ≥ 1');
  }
  if (!(s.from < s.to)) {
    throw new TypeError('"from" must be before "to"');
  }
}

const HOUR_MS = 3_600_000;

/** Whether the hourly continuous aggregate answers this series exactly. */
export function canUseHourly(s: SeriesQuery): boolean {
  const component = (BP_COMPONENTS as readonly string[]).includes(s.code);
  const aligned = s.from.getTime() % HOUR_MS === 0 && s.to.getTime() % HOUR_MS === 0;

  return !component && aligned && s.bucketSeconds % 3600 === 0;
}

/**
 * A range of one code for one patient, downsampled into fixed buckets (count, mean, min,
 * max), for charts. With `hourly` (the TimescaleDB layout) a range on whole hours is read
 * from the hourly continuous aggregate, re-bucketed with a count-weighted mean.
 *
 * @example
 * ```ts
 * await querySeries(db, { patient: 'p-1', code: 'spo2', from, to, bucketSeconds: 300 });
 * ```
 */
export async function querySeries(
  q: Queryable,
  s: SeriesQuery,
  hourly = false,
): Promise<SeriesBucket[]> {
  checkSeries(s);

  const bin = `date_bin(make_interval(secs => $5), %s, timestamptz '${ORIGIN}')`;
  const params = [s.patient, s.code, s.from.toISOString(), s.to.toISOString(), s.bucketSeconds];
  const sql =
    hourly && canUseHourly(s)
      ? `select ${bin.replace('%s', 'bucket')} as start,
                sum(n)::int8 as count, sum(total) / sum(n) as avg,
                min(low) as min, max(high) as max
         from vitals.observation_hourly
         where patient = $1 and code = $2 and bucket >= $3 and bucket < $4
         group by 1 order by 1`
      : `select ${bin.replace('%s', 'effective_at')} as start,
                count(*)::int8 as count, avg(value) as avg,
                min(value) as min, max(value) as max
         from vitals.reading
         where patient = $1 and code = $2 and effective_at >= $3 and effective_at < $4
           and status <> 'entered-in-error'
         group by 1 order by 1`;
  const { rows } = await q.query<{
    start: Date | string;
    count: number;
    avg: number;
    min: number;
    max: number;
  }>(sql, params);

  return rows.map((r) => ({ ...r, start: asDate(r.start) }));
}

/**
 * Distinct days with at least one reading in [from, to), per patient and per device, as
 * remote-monitoring billing counts them (a day in `timeZone`; readings entered in error
 * do not count).
 *
 * @example
 * ```ts
 * const [p] = await queryDeviceDays(db, { patients: ['p-1'], from, to, timeZone: 'Europe/Paris' });
 * if (p.days >= 16) { … }
 * ```
 */
export async function queryDeviceDays(q: Queryable, d: DeviceDaysQuery): Promise<DeviceDays[]> {
  if (d.patients.length === 0) {
    return [];
  }

  const { rows } = await q.query<{ patient: string; device_id: string | null; days: number }>(
    `select patient, device_id,
            count(distinct (effective_at at time zone $4)::date)::int8 as days
     from vitals.observation
     where patient = any($1::text[]) and effective_at >= $2 and effective_at < $3
       and status <> 'entered-in-error'
     group by grouping sets ((patient), (patient, device_id))
     order by patient, device_id nulls first`,
    [d.patients, d.from.toISOString(), d.to.toISOString(), d.timeZone ?? 'UTC'],
  );
  const out = new Map<string, DeviceDays>();
  for (const r of rows) {
    const entry = out.get(r.patient) ?? { patient: r.patient, days: 0, devices: [] };
    if (r.device_id === null) {
      entry.days = r.days;
    } else {
      entry.devices.push({ deviceId: r.device_id, days: r.days });
    }
    out.set(r.patient, entry);
  }

  return [...out.values()];
}

/**
 * Each device's newest reading times, optionally only those silent since `silentSince`
 * (by effective time), for the rule engine's no-data rules.
 */
export async function queryDeviceActivity(
  q: Queryable,
  filter: { patient?: string; silentSince?: Date } = {},
): Promise<DeviceActivity[]> {
  const { rows } = await q.query<{
    device_id: string;
    patient: string;
    agent_id: string | null;
    last_effective_at: Date | string;
    last_received_at: Date | string;
  }>(
    `select device_id, patient, agent_id, last_effective_at, last_received_at
     from vitals.device_activity
     where ($1::text is null or patient = $1)
       and ($2::timestamptz is null or last_effective_at < $2)
     order by patient, device_id`,
    [filter.patient ?? null, filter.silentSince?.toISOString() ?? null],
  );

  return rows.map((r) => ({
    deviceId: r.device_id,
    patient: r.patient,
    agentId: r.agent_id,
    lastEffectiveAt: asDate(r.last_effective_at),
    lastReceivedAt: asDate(r.last_received_at),
  }));
}
