import pino from 'pino';

import type { AlertEngine } from '../alerts/alert-engine.js';
import type { AlertEvent, AlertEventKind, Clock } from '../alerts/types.js';
import type { Database } from '../db/index.js';
import { alertingLogger } from '../log/safe-error.js';
import { severityRank, type Severity } from '../rules/types.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

/** Where notifications go, and which. */
export interface WebhookTarget {
  /** A stable name; the outbox remembers per name how far it has read the alert log. */
  name: string;
  url: string;
  /** The HMAC-SHA256 key the receiver verifies {@link SIGNATURE_HEADER} with. */
  secret: string;
  /** Event kinds to send. Default: raised, escalated, updated. */
  kinds?: AlertEventKind[];
  /** Lowest severity to send. Default `low-medium`. */
  minSeverity?: Severity;
}

/** Options of {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  db: Database;
  targets: readonly WebhookTarget[];
  clock?: Clock;
  /** Deliveries tried before a notification is marked dead. Default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. Default 1000 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** How often `start()` polls. Default 1000 ms. */
  intervalMs?: number;
  logger?: pino.Logger;
}

/** What a receiver gets: opaque ids and the alert's headline, never the readings. */
export interface WebhookPayload {
  deliveryId: number;
  cursor: number;
  kind: AlertEventKind;
  at: string;
  alertId: string;
  patientId: string;
  unit: string;
  ruleId: string;
  severity: Severity;
  status: string;
  title: string;
  /** The role the escalation chain is at. */
  target?: string;
}

const DEFAULT_KINDS: readonly AlertEventKind[] = ['raised', 'escalated', 'updated'];

function wanted(target: WebhookTarget, e: AlertEvent): boolean {
  const kinds = target.kinds ?? DEFAULT_KINDS;
  const min = severityRank(target.minSeverity ?? 'low-medium');
  // A silenced alert has notified nobody; its chain starts when the silence ends.
  const silent =
    e.alert.silenced === true || (e.kind === 'raised' && e.alert.escalation?.target === '');

  return kinds.includes(e.kind) && severityRank(e.alert.severity) >= min && !silent;
}

/**
 * Sends alert events to webhooks, durably. Events are copied from `alerting.alert_events`
 * into `alerting.webhook_outbox` together with the read position, so a restart neither
 * drops nor repeats an enqueue; each outbox row is POSTed with an HMAC-SHA256 signature and
 * retried with exponential backoff until delivered or `maxAttempts` is reached.
 *
 * @example
 * ```ts
 * const notifier = new WebhookNotifier({ db, targets: [{ name: 'pager', url, secret }] });
 * notifier.attach(engine);
 * notifier.start();
 * ```
 */
export class WebhookNotifier {
  readonly #db: Database;
  readonly #targets: readonly WebhookTarget[];
  readonly #clock: Clock;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #timeoutMs: number;
  readonly #intervalMs: number;
  readonly #log: pino.Logger;
  #timer?: NodeJS.Timeout;
  #running: Promise<void> = Promise.resolve();
  #detach?: () => void;

  constructor(options: WebhookNotifierOptions) {
    for (const t of options.targets) {
      if (!/^https?:\/\//.test(t.url)) {
        throw new TypeError(`"url" of webhook ${t.name} must be http(s)`);
      }
      if (t.secret.length < 16) {
        throw new TypeError(`"secret" of webhook ${t.name} must be at least 16 characters`);
      }
    }
    this.#db = options.db;
    this.#targets = options.targets;
    this.#clock = options.clock ?? Date.now;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 300_000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:notify');
  }

  /** Runs a pass (enqueue and deliver) whenever the engine records an event. */
  attach(engine: AlertEngine): void {
    const poke = () => {
      this.run().catch((error: unknown) => this.#log.error({ err: error }, 'webhook pass failed'));
    };
    engine.on('alertEvent', poke);
    this.#detach = () => engine.off('alertEvent', poke);
  }

  /** Polls every `intervalMs` (retries fall due by time alone). */
  start(): void {
    this.#timer ??= setInterval(() => {
      this.run().catch((error: unknown) => this.#log.error({ err: error }, 'webhook pass failed'));
    }, this.#intervalMs);
  }

  /** Stops polling, detaches and waits for the pass in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    await this.#running;
  }

  /** One pass: enqueue new events, then deliver what is due. Passes never overlap. */
  run(): Promise<void> {
    const next = this.#running.then(async () => {
      await this.enqueue();
      await this.deliverDue();
    });
    this.#running = next.catch(() => undefined);

    return next;
  }

  /** Copies new alert events into the outbox, per target, with the read position. */
  async enqueue(): Promise<number> {
    let added = 0;
    for (const target of this.#targets) {
      added += await this.#db.transaction(async (tx) => {
        await tx.query(
          `insert into alerting.webhook_cursor (name, cursor)
           select $1, coalesce(max(cursor), 0) from alerting.alert_events
           on conflict (name) do nothing`,
          [target.name],
        );
        const { rows } = await tx.query<{ cursor: number }>(
          'select cursor from alerting.webhook_cursor where name = $1 for update',
          [target.name],
        );
        const from = Number(rows[0]?.cursor ?? 0);
        const { rows: events } = await tx.query<{
          cursor: number;
          snapshot: unknown;
          kind: string;
          at: unknown;
          detail: unknown;
        }>(
          'select cursor, kind, at, detail, snapshot from alerting.alert_events where cursor > $1 order by cursor limit 500',
          [from],
        );
        let n = 0;
        for (const row of events) {
          const e = toEvent(row);
          if (wanted(target, e)) {
            await tx.query(
              `insert into alerting.webhook_outbox (target, body, next_attempt_at, created_at)
               values ($1, $2, $3, $3)`,
              [target.name, JSON.stringify(e), new Date(this.#clock()).toISOString()],
            );
            n++;
          }
        }
        const last = events.at(-1)?.cursor;
        if (last !== undefined) {
          await tx.query('update alerting.webhook_cursor set cursor = $2 where name = $1', [
            target.name,
            last,
          ]);
        }

        return n;
      });
    }

    return added;
  }

  /** POSTs every due outbox row once; returns how many were delivered. */
  async deliverDue(): Promise<number> {
    const now = new Date(this.#clock()).toISOString();
    const { rows } = await this.#db.query<{
      id: number;
      target: string;
      body: string;
      attempts: number;
    }>(
      `select id, target, body, attempts from alerting.webhook_outbox
       where status = 'pending' and next_attempt_at <= $1 order by id limit 100`,
      [now],
    );
    let delivered = 0;
    for (const row of rows) {
      const target = this.#targets.find((t) => t.name === row.target);
      if (target !== undefined && (await this.#deliver(target, row))) {
        delivered++;
      }
    }

    return delivered;
  }

  async #deliver(
    target: WebhookTarget,
    row: { id: number; body: string; attempts: number },
  ): Promise<boolean> {
    const event = JSON.parse(row.body) as AlertEvent;
    const payload: WebhookPayload = {
      deliveryId: Number(row.id),
      cursor: event.cursor,
      kind: event.kind,
      at: event.at,
      alertId: event.alertId,
      patientId: event.patientId,
      unit: event.unit,
      ruleId: event.alert.ruleId,
      severity: event.alert.severity,
      status: event.alert.status,
      title: event.alert.title,
      target: event.alert.escalation?.target,
    };
    const body = JSON.stringify(payload);
    const signature = signWebhook(target.secret, body, Math.floor(this.#clock() / 1000));
    let error: string | undefined;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signature,
          'x-sparkden-delivery': String(row.id),
        },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await res.body?.cancel();
      error = res.ok ? undefined : `HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.name : 'network error';
    }

    return this.#record(Number(row.id), row.attempts + 1, error, target.name);
  }

  async #record(
    id: number,
    attempts: number,
    error: string | undefined,
    name: string,
  ): Promise<boolean> {
    const now = this.#clock();
    if (error === undefined) {
      await this.#db.query(
        `update alerting.webhook_outbox set status = 'delivered', attempts = $2, delivered_at = $3, last_error = null where id = $1`,
        [id, attempts, new Date(now).toISOString()],
      );

      return true;
    }

    const dead = attempts >= this.#maxAttempts;
    const delay = Math.min(this.#baseDelayMs * 2 ** (attempts - 1), this.#maxDelayMs);
    await this.#db.query(
      `update alerting.webhook_outbox set attempts = $2, last_error = $3, next_attempt_at = $4,
         status = case when $5 then 'dead' else 'pending' end where id = $1`,
      [id, attempts, error, new Date(now + delay).toISOString(), dead],
    );
    if (dead) {
      this.#log.error({ webhook: name, deliveryId: id, attempts }, 'webhook delivery gave up');
    } else {
      this.#log.warn(
        { webhook: name, deliveryId: id, attempts, error },
        'webhook delivery failed; will retry',
      );
    }

    return false;
  }
}

function toEvent(row: {
  cursor: number;
  kind: string;
  at: unknown;
  detail: unknown;
  snapshot: unknown;
}): AlertEvent {
  const alert = (
    typeof row.snapshot === 'string' ? JSON.parse(row.snapshot) : row.snapshot
  ) as AlertEvent['alert'];
  const at = row.at instanceof Date ? row.at.toISOString() : String(row.at);

  return {
    cursor: Number(row.cursor),
    alertId: alert.id,
    kind: row.kind as AlertEventKind,
    at,
    actor: '',
    patientId: alert.patientId,
    unit: alert.unit,
    detail: {},
    alert,
  };
}
