import { InvalidStateError, type RelayedVisitEvent } from '@sparkden/sfu';
import type { Logger } from 'pino';

/** Options of {@link VisitRecordOutbox}. */
export interface VisitRecordOutboxOptions {
  /** Records one event: the Encounter and minutes ledger, or the audit trail. */
  handle: (body: RelayedVisitEvent) => Promise<void>;
  /**
   * The Redis Stream the hubs consume (ack after recording, idle claims). When set, a visit
   * whose record failed is handed to the stream, which retries it durably, on any hub.
   */
  publisher?: { publish(body: RelayedVisitEvent): Promise<string> };
  logger: Logger;
  /** First retry delay; doubles up to `maxRetryMs`. Default 250 ms. */
  retryMs?: number;
  /** Default 30 s. */
  maxRetryMs?: number;
}

/**
 * Delivers the embedded SFU's visit events and audit records to their records without losing
 * one to a failing database, ledger or audit trail. Each visit's events are delivered in order;
 * a failed one is retried with a doubling delay and the visit's later events wait behind it.
 * With a Redis publisher, a visit whose record failed goes to the hubs' event stream instead
 * (and stays there, to keep its order), where it survives this process.
 *
 * @example
 * const outbox = new VisitRecordOutbox({ handle, publisher, logger });
 * createSfuService({ onVisitEvent: (event) => outbox.deliver({ kind: 'visit', event }) });
 */
export class VisitRecordOutbox {
  readonly #o: VisitRecordOutboxOptions;
  readonly #log: Logger;
  /** appointment id → events not yet recorded, oldest first */
  readonly #queues = new Map<string, RelayedVisitEvent[]>();
  /** visits whose events now go through the stream */
  readonly #relayed = new Set<string>();
  readonly #sleepers = new Set<() => void>();
  #stopped = false;

  constructor(options: VisitRecordOutboxOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'hub:visit-outbox' });
  }

  /** Events waiting to be recorded (in this process). */
  get pending(): number {
    return [...this.#queues.values()].reduce((n, q) => n + q.length, 0);
  }

  /**
   * Queues one event for its record; returns at once.
   * @throws {InvalidStateError} after {@link stop}.
   */
  deliver(body: RelayedVisitEvent): void {
    if (this.#stopped) {
      throw new InvalidStateError('visit outbox stopped');
    }

    const visit = body.event.appointmentId;
    const queue = this.#queues.get(visit);
    if (queue) {
      queue.push(body);
      return;
    }
    this.#queues.set(visit, [body]);
    void this.#drain(visit);
  }

  /** Stops retrying; events still waiting are reported as lost (an operator must act). */
  stop(): void {
    this.#stopped = true;
    for (const wake of this.#sleepers) {
      wake();
    }
    if (this.pending > 0) {
      this.#log.error({ lost: this.pending }, 'visit records not written before shutdown');
    }
  }

  async #drain(visit: string): Promise<void> {
    const queue = this.#queues.get(visit)!;
    let attempt = 0;
    while (queue.length > 0 && !this.#stopped) {
      const ok = this.#relayed.has(visit)
        ? await this.#relay(visit, queue)
        : await this.#record(visit, queue, attempt);
      attempt = ok ? 0 : attempt + 1;
      if (!ok) {
        await this.#sleep(attempt);
      }
    }
    if (queue.length === 0) {
      this.#queues.delete(visit);
    }
  }

  // Records the oldest event; on failure hands the visit to the stream when there is one.
  async #record(visit: string, queue: RelayedVisitEvent[], attempt: number): Promise<boolean> {
    try {
      await this.#o.handle(queue[0]);
      queue.shift();
      return true;
    } catch (err) {
      this.#log.warn({ err, visit, attempt, waiting: queue.length }, 'visit record failed');
      if (this.#o.publisher) {
        this.#relayed.add(visit);
        return this.#relay(visit, queue);
      }
      return false;
    }
  }

  async #relay(visit: string, queue: RelayedVisitEvent[]): Promise<boolean> {
    try {
      await this.#o.publisher!.publish(queue[0]);
      queue.shift();
      return true;
    } catch (err) {
      this.#log.warn({ err, visit, waiting: queue.length }, 'visit event relay failed');
      return false;
    }
  }

  #sleep(attempt: number): Promise<void> {
    const base = this.#o.retryMs ?? 250;
    const ms = Math.min(base * 2 ** (attempt - 1), this.#o.maxRetryMs ?? 30_000);

    return new Promise((resolve) => {
      if (this.#stopped) {
        resolve();
        return;
      }
      const wake = () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#sleepers.add(wake);
    });
  }
}
