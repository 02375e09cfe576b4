import type { Queryable } from '@sparkden/alerting';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The hub's own queues, each a table in the shared database. */
export type HubQueue = 'unevaluated_batches' | 'webhook_pending' | 'webhook_dead' | 'audit_outbox';

/** Rows counted per queue at most: a runaway queue must not make every scrape slow. */
export const QUEUE_COUNT_CAP = 100_000;

// One round trip, each count bounded by the cap. `unevaluated_batches`: batches committed
// but not through the rule engine; `webhook_*`: alert notifications not yet delivered, and
// those given up on; `audit_outbox`: alert audit records not yet in the audit trail.
// Pending and dead rows each come from a partial index (`webhook_outbox_due`,
// `webhook_outbox_dead`), never from a scan past the delivered rows the outbox keeps.
const SAMPLE_SQL = `
with unevaluated as (
  select committed_at as at from vitals.unevaluated_batch limit ${QUEUE_COUNT_CAP}
), pending as (
  select created_at as at from alerting.webhook_outbox
  where status = 'pending' limit ${QUEUE_COUNT_CAP}
), dead as (
  select 1 from alerting.webhook_outbox where status = 'dead' limit ${QUEUE_COUNT_CAP}
), audit as (
  select created_at as at from alerting.audit_outbox limit ${QUEUE_COUNT_CAP}
)
select
  (select count(*) from unevaluated) as unevaluated_batches,
  (select extract(epoch from now() - min(at)) from unevaluated) as unevaluated_batches_age,
  (select count(*) from pending) as webhook_pending,
  (select extract(epoch from now() - min(at)) from pending) as webhook_pending_age,
  (select count(*) from dead) as webhook_dead,
  (select count(*) from audit) as audit_outbox,
  (select extract(epoch from now() - min(at)) from audit) as audit_outbox_age`;

const AGED: HubQueue[] = ['unevaluated_batches', 'webhook_pending', 'audit_outbox'];
const COUNTED: HubQueue[] = [...AGED, 'webhook_dead'];

/**
 * Gauges of the hub's queues in the database — `sparkden_hub_queue_depth{queue}` and
 * `sparkden_hub_queue_oldest_seconds{queue}` — read when Prometheus scrapes, at most once
 * per `maxAgeMs`, in one bounded query. The queues are shared by every hub of a
 * deployment, so each hub reports the same values: take `max` across them. When the
 * query fails the series are dropped (not left stale) and
 * `sparkden_hub_queue_sample_errors_total` counts the failure.
 *
 * @example
 * ```ts
 * const queues = new HubQueueGauges([registry]);
 * const unwatch = queues.watch(db);
 * ```
 */
export class HubQueueGauges {
  readonly depth: Gauge<'queue'>;
  readonly oldestSeconds: Gauge<'queue'>;
  readonly sampleErrors: Counter;
  #db?: Queryable;
  #maxAgeMs = 5000;
  #sampledAt = 0;
  #sampling?: Promise<void>;

  constructor(registers: Registry[]) {
    this.depth = new Gauge({
      name: 'sparkden_hub_queue_depth',
      help: 'Rows waiting in the hub queues (unevaluated batches, webhook and audit outboxes)',
      labelNames: ['queue'],
      registers,
      collect: () => this.#refresh(),
    });
    this.oldestSeconds = new Gauge({
      name: 'sparkden_hub_queue_oldest_seconds',
      help: 'Age of the oldest row waiting in each hub queue (0 when empty)',
      labelNames: ['queue'],
      registers,
      collect: () => this.#refresh(),
    });
    this.sampleErrors = new Counter({
      name: 'sparkden_hub_queue_sample_errors_total',
      help: 'Scrapes whose hub queue query failed (the queue series were then left out)',
      registers,
    });
  }

  /**
   * Reads the queues from `db` on scrape, reusing a sample younger than `maxAgeMs`
   * (default 5000). Returns a function that stops it.
   */
  watch(db: Queryable, maxAgeMs = 5000): () => void {
    if (!(maxAgeMs >= 0)) {
      throw new TypeError('"maxAgeMs" must be >= 0');
    }

    this.#db = db;
    this.#maxAgeMs = maxAgeMs;
    this.#sampledAt = 0;

    return () => {
      if (this.#db === db) {
        this.#db = undefined;
      }
    };
  }

  #refresh(): Promise<void> | undefined {
    const db = this.#db;
    if (db === undefined || Date.now() - this.#sampledAt < this.#maxAgeMs) {
      return this.#sampling;
    }

    this.#sampling ??= this.#sample(db).finally(() => (this.#sampling = undefined));

    return this.#sampling;
  }

  async #sample(db: Queryable): Promise<void> {
    try {
      const { rows } = await db.query<Record<string, number | null>>(SAMPLE_SQL);
      const row = rows[0] ?? {};
      for (const queue of COUNTED) {
        this.depth.set({ queue }, Number(row[queue] ?? 0));
      }
      for (const queue of AGED) {
        this.oldestSeconds.set({ queue }, Math.max(0, Number(row[`${queue}_age`] ?? 0)));
      }
      this.#sampledAt = Date.now();
    } catch {
      // Handled here: a missing number is better than a stale one, and the failure is
      // counted; the scrape itself still answers with every other metric.
      this.depth.reset();
      this.oldestSeconds.reset();
      this.sampleErrors.inc();
      this.#sampledAt = 0;
    }
  }
}
