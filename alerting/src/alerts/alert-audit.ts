import type pino from 'pino';

import type { Database } from '../db/index.js';
import { serializeSafeError } from '../log/safe-error.js';
import type { AlertEvent, AuditEvent, AuditSink, Clock } from './types.js';

/** Options of {@link AlertAudit}. */
export interface AlertAuditOptions {
  /** The gateway's hash-chained trail; without it nothing is queued. */
  sink?: AuditSink;
  db: Database;
  clock: Clock;
  log: pino.Logger;
}

/** How long a drain holds the records it took before another may retry them. */
const LEASE_MS = 60_000;
const BATCH = 100;
const MAX_BACKOFF_MS = 60_000;

// Only due records below the oldest one still waiting: the trail receives them in order,
// and a record never overtakes one that failed before it.
const CLAIM_SQL = `
  update alerting.audit_outbox o set next_attempt_at = $2
  where o.id in (
    select id from alerting.audit_outbox
    where next_attempt_at <= $1
      and id < coalesce(
        (select min(id) from alerting.audit_outbox where next_attempt_at > $1),
        9223372036854775807)
    order by id
    limit ${BATCH}
    for update skip locked)
  returning o.id, o.record, o.attempts`;

/** The audit record of one alert transition (`alert.raised`, `alert.acknowledged`, …). */
export function transitionRecord(e: Omit<AlertEvent, 'cursor'> & { cursor?: number }): AuditEvent {
  return {
    actor: e.actor,
    action: `alert.${e.kind}`,
    patientId: e.patientId,
    entity: `Alert/${e.alertId}`,
    outcome: 'success',
    detail: {
      cursor: e.cursor,
      ruleId: e.alert.ruleId,
      severity: e.alert.severity,
      status: e.alert.status,
      ...e.detail,
    },
  };
}

/**
 * Hands the alert engine's audit records to the gateway's trail through an outbox
 * (`alerting.audit_outbox`): a transition's record is stored with the transition itself
 * (see `AlertStore`), a configuration change's right after it; {@link drain} sends them
 * oldest first and deletes each once the sink took it. A failing sink never stops an
 * alert: the record waits, with a growing delay, and the next drain (every engine tick)
 * retries it, so the hash-chained trail has no gaps.
 *
 * @example
 * ```ts
 * const audit = new AlertAudit({ sink, db, clock: Date.now, log });
 * await audit.config('rn-1', 'silence.end', 'Silence/7', undefined, {});
 * await audit.drain();
 * ```
 */
export class AlertAudit {
  readonly #sink?: AuditSink;
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #log: pino.Logger;
  #draining: Promise<void> = Promise.resolve();

  constructor(options: AlertAuditOptions) {
    this.#sink = options.sink;
    this.#db = options.db;
    this.#clock = options.clock;
    this.#log = options.log;
  }

  /** Whether records are kept at all (an audit sink is set). */
  get enabled(): boolean {
    return this.#sink !== undefined;
  }

  /** Queues the record of a configuration change (rules, overrides, silences, units) and drains. */
  async config(
    actor: string,
    action: string,
    entity: string,
    patientId: string | undefined,
    detail: Record<string, unknown>,
  ): Promise<void> {
    if (this.#sink === undefined) {
      return;
    }

    const record: AuditEvent = { actor, action, patientId, entity, outcome: 'success', detail };
    const now = new Date(this.#clock()).toISOString();
    await this.#db.query(
      `insert into alerting.audit_outbox (record, next_attempt_at, created_at)
       values ($1::jsonb, $2, $2)`,
      [JSON.stringify(record), now],
    );
    await this.drain();
  }

  /** Sends due records to the sink, oldest first; failures wait for a later drain. */
  drain(): Promise<void> {
    if (this.#sink === undefined) {
      return Promise.resolve();
    }

    const sink = this.#sink;
    this.#draining = this.#draining.then(() =>
      this.#drainOnce(sink).catch((error: unknown) => {
        // The records stay in the outbox; the next tick drains again.
        this.#log.warn({ err: error }, 'audit outbox drain failed; retried next tick');
      }),
    );

    return this.#draining;
  }

  async #drainOnce(sink: AuditSink): Promise<void> {
    for (;;) {
      const now = this.#clock();
      const { rows } = await this.#db.query<{ id: number; record: unknown; attempts: number }>(
        CLAIM_SQL,
        [new Date(now).toISOString(), new Date(now + LEASE_MS).toISOString()],
      );
      if (rows.length === 0) {
        return;
      }
      const claimed = rows.map((r) => ({ ...r, id: Number(r.id) })).sort((a, b) => a.id - b.id);
      for (const [i, row] of claimed.entries()) {
        try {
          await sink(parseRecord(row.record));
        } catch (error) {
          await this.#retryLater(claimed.slice(i), row.attempts + 1, error);

          return;
        }
        await this.#db.query('delete from alerting.audit_outbox where id = $1', [row.id]);
      }
      if (claimed.length < BATCH) {
        return;
      }
    }
  }

  async #retryLater(rows: Array<{ id: number }>, attempts: number, error: unknown) {
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempts - 1));
    const next = new Date(this.#clock() + delay).toISOString();
    const { code, type } = serializeSafeError(error);
    await this.#db.query(
      `update alerting.audit_outbox set next_attempt_at = $2,
         attempts = attempts + case when id = $3 then 1 else 0 end,
         last_error = case when id = $3 then $4 else last_error end
       where id = any($1::bigint[])`,
      [rows.map((r) => r.id), next, rows[0]?.id, code ?? type],
    );
    // An operator must restore the audit sink; the records wait in alerting.audit_outbox.
    this.#log.error(
      { err: error, waiting: rows.length, attempts, retryInMs: delay },
      'audit sink failed; records kept in the outbox',
    );
  }
}

function parseRecord(record: unknown): AuditEvent {
  return (typeof record === 'string' ? JSON.parse(record) : record) as AuditEvent;
}
