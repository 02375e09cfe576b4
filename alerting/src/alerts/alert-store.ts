import type { Database, Queryable } from '../db/index.js';
import { ALERT_COLUMNS, alertFromRow, eventFromRow, silenceFromRow } from './alert-rows.js';
import type {
  Alert,
  AlertEvent,
  AlertEventKind,
  AlertStatus,
  AuditEvent,
  Silence,
} from './types.js';

/** One alert transition waiting to be stored. */
export interface PendingTransition {
  alert: Alert;
  kind: AlertEventKind;
  actor: string;
  detail: Record<string, unknown>;
}

/** Filters of {@link AlertStore.list}. */
export interface AlertFilter {
  units?: string[];
  patientId?: string;
  status?: AlertStatus[];
  severity?: string[];
  ruleId?: string;
  /** ISO 8601 bounds on `raisedAt`. */
  since?: string;
  until?: string;
  limit?: number;
}

/** The non-actionable alarm rate of one care unit over a period. */
export interface NonActionableRate {
  unit: string;
  total: number;
  nonActionable: number;
  /** `nonActionable / total`, 0 when there were no alerts. */
  rate: number;
}

const COLS = ALERT_COLUMNS.map(([c]) => c);
const PLACEHOLDERS = COLS.map((c, i) => {
  const cast = c === 'explanation' || c === 'escalation' ? '::jsonb' : '';

  return `$${i + 1}${cast}`;
});
const UPDATES = COLS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`);
const N = COLS.length;

// One round trip: upsert the alert row, append its event and, when an audit sink is set,
// queue its audit record (with the event's cursor) in a single statement.
const WRITE_SQL = `
  with a as (
    insert into alerting.alerts (${COLS.join(', ')}) values (${PLACEHOLDERS.join(', ')})
    on conflict (id) do update set ${UPDATES.join(', ')}
    returning id
  ), e as (
    insert into alerting.alert_events (alert_id, at, kind, actor, patient_id, unit, detail, snapshot)
    select a.id, $${N + 1}, $${N + 2}, $${N + 3}, $${N + 4}, $${N + 5}, $${N + 6}::jsonb, $${N + 7}::jsonb
    from a
    returning cursor
  ), o as (
    insert into alerting.audit_outbox (record, next_attempt_at, created_at)
    select jsonb_set($${N + 8}::jsonb, '{detail,cursor}', to_jsonb(e.cursor)), $${N + 1}, $${N + 1}
    from e where $${N + 8}::jsonb is not null
  )
  select cursor from e`;

/**
 * The `alerting` tables behind the alert lifecycle: every write stores the alert and
 * appends its event (with a fresh cursor) together.
 *
 * @example
 * ```ts
 * const store = new AlertStore(db);
 * const event = await store.write(alert, 'raised', 'rules', {});
 * ```
 */
export class AlertStore {
  readonly #db: Database;
  readonly #auditRecord?: (e: Omit<AlertEvent, 'cursor'>) => AuditEvent;

  /** With `auditRecord`, each transition also queues that record in `audit_outbox`. */
  constructor(db: Database, auditRecord?: (e: Omit<AlertEvent, 'cursor'>) => AuditEvent) {
    this.#db = db;
    this.#auditRecord = auditRecord;
  }

  /** Stores `alert` as it now stands and appends one event about it; returns the event. */
  async write(
    alert: Alert,
    kind: AlertEventKind,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<AlertEvent> {
    return this.#writeOn(this.#db, { alert, kind, actor, detail });
  }

  /**
   * Stores several transitions in one transaction (one commit, one flush to disk), in
   * order; returns their events with increasing cursors.
   */
  async writeMany(items: readonly PendingTransition[]): Promise<AlertEvent[]> {
    if (items.length === 1) {
      return [await this.#writeOn(this.#db, items[0])];
    }

    return this.#db.transaction(async (tx) => {
      const events: AlertEvent[] = [];
      for (const item of items) {
        events.push(await this.#writeOn(tx, item));
      }

      return events;
    });
  }

  async #writeOn(
    q: Queryable,
    { alert, kind, actor, detail }: PendingTransition,
  ): Promise<AlertEvent> {
    const { silenced: _silenced, ...stored } = alert;
    const event = {
      alertId: alert.id,
      kind,
      at: alert.updatedAt,
      actor,
      patientId: alert.patientId,
      unit: alert.unit,
      detail,
      alert,
    };
    const record = this.#auditRecord?.(event);
    const params = ALERT_COLUMNS.map(([, get]) => get(stored));
    params.push(
      alert.updatedAt,
      kind,
      actor,
      alert.patientId,
      alert.unit,
      JSON.stringify(detail),
      JSON.stringify(alert),
      record === undefined ? null : JSON.stringify(record),
    );
    const { rows } = await q.query<{ cursor: number }>(WRITE_SQL, params);

    return { cursor: Number(rows[0]?.cursor), ...event };
  }

  /** Every alert not yet resolved. */
  async open(): Promise<Alert[]> {
    const { rows } = await this.#db.query(
      `select * from alerting.alerts where status <> 'resolved' order by raised_at`,
    );

    return rows.map(alertFromRow);
  }

  async get(id: string): Promise<Alert | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      return undefined;
    }
    const { rows } = await this.#db.query('select * from alerting.alerts where id = $1', [id]);

    return rows[0] === undefined ? undefined : alertFromRow(rows[0]);
  }

  /** Alerts matching `filter`, newest first. */
  async list(filter: AlertFilter = {}): Promise<Alert[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.units !== undefined && !filter.units.includes('*')) {
      add('unit = any(?::text[])', filter.units);
    }
    if (filter.patientId !== undefined) {
      add('patient_id = ?', filter.patientId);
    }
    if (filter.status !== undefined) {
      add('status = any(?::text[])', filter.status);
    }
    if (filter.severity !== undefined) {
      add('severity = any(?::text[])', filter.severity);
    }
    if (filter.ruleId !== undefined) {
      add('rule_id = ?', filter.ruleId);
    }
    if (filter.since !== undefined) {
      add('raised_at >= ?', filter.since);
    }
    if (filter.until !== undefined) {
      add('raised_at < ?', filter.until);
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const clause = where.length > 0 ? `where ${where.join(' and ')}` : '';
    const { rows } = await this.#db.query(
      `select * from alerting.alerts ${clause} order by raised_at desc limit ${limit}`,
      params,
    );

    return rows.map(alertFromRow);
  }

  /** The events of one alert, oldest first. */
  async history(alertId: string): Promise<AlertEvent[]> {
    const { rows } = await this.#db.query(
      'select * from alerting.alert_events where alert_id = $1 order by cursor',
      [alertId],
    );

    return rows.map(eventFromRow);
  }

  /**
   * Events after `cursor` in the given units, in cursor order (`'*'` means every unit):
   * what a reconnecting console missed.
   */
  async eventsAfter(cursor: number, units: string[], limit = 500): Promise<AlertEvent[]> {
    const all = units.includes('*');
    const { rows } = await this.#db.query(
      `select * from alerting.alert_events
       where cursor > $1 and ($2 or unit = any($3::text[]))
       order by cursor limit $4`,
      [cursor, all, units, limit],
    );

    return rows.map(eventFromRow);
  }

  /** The highest cursor written so far (0 when none). */
  async lastCursor(): Promise<number> {
    const { rows } = await this.#db.query<{ c: number | null }>(
      'select max(cursor) as c from alerting.alert_events',
    );

    return Number(rows[0]?.c ?? 0);
  }

  async addSilence(s: Silence): Promise<void> {
    await this.#db.query(
      `insert into alerting.silences
       (id, unit, patient_id, rule_id, code, starts_at, ends_at, created_by, created_at, reason)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        s.id,
        s.unit ?? null,
        s.patientId ?? null,
        s.ruleId ?? null,
        s.code ?? null,
        s.startsAt,
        s.endsAt,
        s.createdBy,
        s.createdAt,
        s.reason ?? null,
      ],
    );
  }

  /** Silences whose end lies after `at` (ISO 8601). */
  async silencesEndingAfter(at: string): Promise<Silence[]> {
    const { rows } = await this.#db.query(
      'select * from alerting.silences where ends_at > $1 order by starts_at',
      [at],
    );

    return rows.map(silenceFromRow);
  }

  /** Cuts a silence short; returns whether one was found. */
  async endSilence(id: string, at: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      "update alerting.silences set ends_at = greatest(starts_at + interval '1 ms', $2::timestamptz) where id = $1 and ends_at > $2",
      [id, at],
    );

    return rowCount > 0;
  }

  /** The non-actionable rate per care unit among alerts raised in `[since, until)`. */
  async nonActionableRates(
    since: string,
    until: string,
    units?: string[],
  ): Promise<NonActionableRate[]> {
    const all = units === undefined || units.includes('*');
    const { rows } = await this.#db.query<{ unit: string; total: number; na: number }>(
      `select unit, count(*)::int8 as total, count(*) filter (where non_actionable)::int8 as na
       from alerting.alerts
       where raised_at >= $1 and raised_at < $2 and ($3 or unit = any($4::text[]))
       group by unit order by unit`,
      [since, until, all, units ?? []],
    );

    return rows.map((r) => ({
      unit: r.unit,
      total: Number(r.total),
      nonActionable: Number(r.na),
      rate: Number(r.total) === 0 ? 0 : Number(r.na) / Number(r.total),
    }));
  }
}
