import type { BatchOrigin } from '../ingest/trace-context.js';
import type { AlertAudit } from './alert-audit.js';
import type { AlertStore, PendingTransition } from './alert-store.js';
import { AlertError } from './errors.js';
import { EvaluationTrace } from './evaluation-trace.js';
import type { OpenAlerts } from './open-alerts.js';
import type { Alert, AlertEvent, AlertEventKind } from './types.js';

/** What {@link TransitionQueue} reports when a committed batch went through the rules. */
export interface BatchEvaluation {
  kind: 'obs' | 'alarm';
  /** Observations or alarms in the batch. */
  items: number;
  /** Rule evaluation and the alerts' commit, in seconds. */
  seconds: number;
  /** Alert events the batch produced. */
  events: number;
}

/** Options of {@link TransitionQueue}. */
export interface TransitionQueueOptions {
  store: AlertStore;
  open: OpenAlerts;
  audit: AlertAudit;
  /** The alert as shown (with its silence flag). */
  show: (alert: Alert) => Alert;
  /** Called for each stored event, in cursor order. */
  publish: (event: AlertEvent, origin?: BatchOrigin) => void;
  evaluated: (evaluation: BatchEvaluation) => void;
}

/**
 * The alert engine's one queue: every change runs in turn, transitions made while a batch
 * is evaluated are stored together in one transaction, and their events are published in
 * cursor order only once stored (and handed to the audit outbox first).
 *
 * @example
 * ```ts
 * await queue.run(() => queue.batched(async () => { await queue.transition(a, 'raised', 'system', {}); }));
 * ```
 */
export class TransitionQueue {
  readonly #o: TransitionQueueOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #batch?: PendingTransition[];
  #evaluating?: EvaluationTrace;

  constructor(options: TransitionQueueOptions) {
    this.#o = options;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` after everything queued before it; later calls reject with `CLOSED`. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new AlertError('CLOSED', 'the engine is closed'));
    }
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => undefined);

    return result;
  }

  /** Runs `fn` as the last queued work, then refuses any more. */
  close(fn: () => Promise<void>): Promise<void> {
    const done = this.run(fn);
    this.#closed = true;

    return done;
  }

  /** Runs a batch's evaluation on the queue, traced from the hand-over (so the wait shows). */
  evaluate(
    kind: 'obs' | 'alarm',
    items: number,
    origin: BatchOrigin | undefined,
    fn: () => Promise<void>,
  ): Promise<void> {
    const traced = new EvaluationTrace(kind, items, origin);
    const run = this.run(async () => {
      const started = performance.now();
      this.#evaluating = traced;
      try {
        await fn();
      } finally {
        this.#evaluating = undefined;
        const seconds = (performance.now() - started) / 1000;
        this.#o.evaluated({ kind, items, seconds, events: traced.events });
      }
    });

    return run.then(
      () => traced.end(),
      (error: unknown) => {
        traced.fail(error);
        throw error;
      },
    );
  }

  /** Runs `fn` collecting its transitions, then stores them in one transaction. */
  async batched(fn: () => Promise<void>): Promise<void> {
    this.#batch = [];
    try {
      await fn();
    } finally {
      const items = this.#batch;
      this.#batch = undefined;
      await this.#commit(items);
    }
  }

  /** Records a transition: at once, or with its batch. Resolves the alert as shown. */
  async transition(
    alert: Alert,
    kind: AlertEventKind,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<Alert> {
    const shown = this.#o.show(alert);
    this.#o.open.put(alert);
    const pending = { alert: shown, kind, actor, detail };
    if (this.#batch !== undefined) {
      this.#batch.push(pending);

      return shown;
    }

    await this.#commit([pending]);

    return shown;
  }

  async #commit(items: PendingTransition[]): Promise<void> {
    if (items.length === 0) {
      return;
    }

    let events: AlertEvent[];
    try {
      events = await this.#o.store.writeMany(items);
      this.#o.open.committed();
    } catch (error) {
      this.#o.open.rollback();
      await this.#o.open.reloadIfNeeded();
      throw error;
    }
    // The records went into the audit outbox with the transitions; the trail gets them first.
    await this.#o.audit.drain();
    for (const event of events) {
      this.#publish(event);
    }
  }

  #publish(event: AlertEvent): void {
    if (this.#evaluating === undefined) {
      this.#o.publish(event);

      return;
    }

    this.#evaluating.publish(event, (origin) => this.#o.publish(event, origin));
  }
}
