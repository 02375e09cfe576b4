/** What batch sizing needs to know of a queued record. */
export interface SizedRecord {
  items: readonly unknown[];
  /** Sealed size; the items go on the wire in about as many bytes. */
  bytes: number;
}

/** Options of {@link AdaptiveBatch}. */
export interface AdaptiveBatchOptions {
  /** Largest batch [protocol observationBatchSchema: at most 5000]. */
  max: number;
  /** Smallest target (default 50, or `max` when smaller). */
  min?: number;
  /** Batches in flight at once: a backlog is spread over them so the link stays busy. */
  window?: number;
}

/**
 * The size the uplink aims for in one `up/obs` batch, from two signals:
 *
 * - The link: a ceiling that doubles after each ack that came back in under a quarter of the
 *   ack timeout (the link has room) and halves after a timeout (a slow or lossy link resends
 *   less per loss).
 * - The backlog: a deep queue (after an outage) goes in batches up to that ceiling, so it
 *   drains in fewer, larger frames; a shallow one (live traffic) goes in small batches of
 *   its share of the window, so each is acked, and deleted, quickly.
 *
 * Live traffic is never held back to fill a batch: a batch carries what is queued, up to
 * the size. The uplink also keeps every frame within the broker's packet limit.
 *
 * @example
 * ```ts
 * const batch = new AdaptiveBatch({ max: 5000 });
 * batch.onAck(rttMs, ackTimeoutMs);
 * const items = batch.sizeFor(queuedItems);
 * ```
 */
export class AdaptiveBatch {
  #min: number;
  #max: number;
  #window: number;
  #ceiling: number;
  #last: number;

  constructor(options: AdaptiveBatchOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) {
      throw new TypeError('"max" must be a positive integer');
    }
    const window = options.window ?? 4;
    if (!Number.isInteger(window) || window < 1) {
      throw new TypeError('"window" must be a positive integer');
    }
    this.#max = options.max;
    this.#min = Math.min(options.min ?? 50, this.#max);
    this.#window = window;
    this.#ceiling = Math.max(this.#min, Math.min(200, this.#max));
    this.#last = this.#min;
  }

  /** The largest batch the link currently carries well. */
  get ceiling(): number {
    return this.#ceiling;
  }

  /** The size last returned by {@link sizeFor} (for the status). */
  get target(): number {
    return this.#last;
  }

  /**
   * Items for the next batch when `backlogItems` are queued: the backlog's share of the
   * window, at least the minimum, at most the link's ceiling.
   */
  sizeFor(backlogItems: number): number {
    if (!(backlogItems >= 0)) {
      throw new TypeError('"backlogItems" must be >= 0');
    }

    const share = Math.ceil(backlogItems / this.#window);
    this.#last = Math.max(this.#min, Math.min(this.#ceiling, share));

    return this.#last;
  }

  onAck(rttMs: number, ackTimeoutMs: number): void {
    if (rttMs < ackTimeoutMs / 4) {
      this.#ceiling = Math.min(this.#max, this.#ceiling * 2);
    }
  }

  onTimeout(): void {
    this.#ceiling = Math.max(this.#min, Math.floor(this.#ceiling / 2));
  }
}

/**
 * Items queued and not in flight, from the records just read (which show how many items a
 * sealed byte holds) and the queue's unsent bytes (kept in memory, so no count query).
 *
 * @example
 * ```ts
 * estimateBacklog(queue.take('obs', 256), queue.bytes - inFlightBytes);
 * ```
 */
export function estimateBacklog(visible: readonly SizedRecord[], unsentBytes: number): number {
  const items = visible.reduce((n, r) => n + r.items.length, 0);
  const bytes = visible.reduce((n, r) => n + r.bytes, 0);
  if (bytes === 0) {
    return items;
  }

  return Math.max(items, Math.round((Math.max(bytes, unsentBytes) * items) / bytes));
}

/**
 * Whole records in send order, up to `maxItems` items and `maxBytes` bytes, and at least
 * one record (a record is deleted only whole, on its ack).
 *
 * @example
 * ```ts
 * const batch = pickRecords(records, 1000, 1024 * 1024 - 4096);
 * ```
 */
export function pickRecords<T extends SizedRecord>(
  records: readonly T[],
  maxItems: number,
  maxBytes: number,
): T[] {
  const out: T[] = [];
  let items = 0;
  let bytes = 0;
  for (const r of records) {
    const full = items + r.items.length > maxItems || bytes + r.bytes > maxBytes;
    if (out.length > 0 && full) {
      break;
    }
    out.push(r);
    items += r.items.length;
    bytes += r.bytes;
  }

  return out;
}
