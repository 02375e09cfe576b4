import type { Database } from '../db/index.js';
import type { DeviceSeen } from '../rules/stale.js';
import type { Reading } from '../rules/types.js';

/** A reading the rules remember across restarts: a NEWS2 input or a trend sample. */
export interface Remembered {
  kind: 'latest' | 'sample';
  reading: Reading;
}

/**
 * What the rule engine must not forget when the hub restarts: the latest NEWS2 inputs,
 * trend samples within their windows, when each device last reported, and care units.
 */
export class RuleMemory {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores readings to remember; `latest` replaces the previous one of its code. */
  async remember(items: readonly Remembered[]): Promise<void> {
    if (items.length === 0) {
      return;
    }

    const latest = items.filter((i) => i.kind === 'latest');
    const col = <T>(f: (i: Remembered) => T) => items.map(f);
    // Two statements per flush whatever its size: arrays in, unnest out.
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `delete from alerting.rule_memory m using unnest($1::text[], $2::text[]) as x(p, c)
         where m.kind = 'latest' and m.patient_id = x.p and m.code = x.c`,
        [latest.map((i) => i.reading.patientId), latest.map((i) => i.reading.code)],
      );
      await tx.query(
        `insert into alerting.rule_memory (patient_id, code, kind, observation_id, at, reading)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
         on conflict do nothing`,
        [
          col((i) => i.reading.patientId),
          col((i) => i.reading.code),
          col((i) => i.kind),
          col((i) => i.reading.observationId),
          col((i) => new Date(i.reading.at).toISOString()),
          col((i) => JSON.stringify(i.reading)),
        ],
      );
    });
  }

  /** Forgets trend samples older than `before` (ISO 8601). */
  async prune(before: string): Promise<void> {
    await this.#db.query(`delete from alerting.rule_memory where kind = 'sample' and at < $1`, [
      before,
    ]);
  }

  async recall(): Promise<Remembered[]> {
    const { rows } = await this.#db.query<{ kind: 'latest' | 'sample'; reading: unknown }>(
      'select kind, reading from alerting.rule_memory order by at',
    );

    return rows.map((r) => ({
      kind: r.kind,
      reading: (typeof r.reading === 'string' ? JSON.parse(r.reading) : r.reading) as Reading,
    }));
  }

  /** Records when devices last reported and the codes they reported. */
  async touchDevices(seen: readonly DeviceSeen[]): Promise<void> {
    if (seen.length === 0) {
      return;
    }

    // Codes travel as a JSON array each: unnest cannot take an array of arrays.
    await this.#db.query(
      `insert into alerting.device_last_seen (device_id, patient_id, codes, last_at)
       select d, p, array(select jsonb_array_elements_text(c)), t
       from unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[]) as x(d, p, c, t)
       on conflict (device_id) do update set patient_id = excluded.patient_id,
         codes = array(select distinct unnest(alerting.device_last_seen.codes || excluded.codes)
                       order by 1),
         last_at = greatest(alerting.device_last_seen.last_at, excluded.last_at)`,
      [
        seen.map((d) => d.deviceId),
        seen.map((d) => d.patientId),
        seen.map((d) => JSON.stringify(d.codes)),
        seen.map((d) => new Date(d.lastAt).toISOString()),
      ],
    );
  }

  /** Sets a device's expected cadence, seen or not (`null` falls back on the defaults). */
  async setCadence(
    deviceId: string,
    cadenceMs: number | null,
    actor: string,
    now: string,
  ): Promise<void> {
    if (cadenceMs === null) {
      await this.#db.query('delete from alerting.device_cadence where device_id = $1', [deviceId]);

      return;
    }

    await this.#db.query(
      `insert into alerting.device_cadence (device_id, cadence_ms, set_by, set_at)
       values ($1, $2, $3, $4)
       on conflict (device_id) do update set cadence_ms = excluded.cadence_ms,
         set_by = excluded.set_by, set_at = excluded.set_at`,
      [deviceId, cadenceMs, actor, now],
    );
  }

  /** Every device's own cadence, by device id. */
  async cadences(): Promise<Map<string, number>> {
    const { rows } = await this.#db.query<{ device_id: string; cadence_ms: number }>(
      'select device_id, cadence_ms from alerting.device_cadence',
    );

    return new Map(rows.map((r) => [r.device_id, Number(r.cadence_ms)]));
  }

  async devices(): Promise<DeviceSeen[]> {
    const { rows } = await this.#db.query<Record<string, unknown>>(
      'select device_id, patient_id, codes, last_at from alerting.device_last_seen',
    );

    return rows.map((r) => ({
      deviceId: String(r.device_id),
      patientId: String(r.patient_id),
      codes: r.codes as string[],
      lastAt: new Date(r.last_at as string | Date).getTime(),
    }));
  }

  async units(): Promise<Map<string, string>> {
    const { rows } = await this.#db.query<{ patient_id: string; unit: string }>(
      'select patient_id, unit from alerting.patient_units',
    );

    return new Map(rows.map((r) => [r.patient_id, r.unit]));
  }

  /** Puts a patient in a care unit. */
  async setUnit(patientId: string, unit: string, actor: string, now: string): Promise<void> {
    await this.#db.query(
      `insert into alerting.patient_units (patient_id, unit, updated_by, updated_at)
       values ($1, $2, $3, $4)
       on conflict (patient_id) do update set unit = excluded.unit,
         updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [patientId, unit, actor, now],
    );
  }
}
