import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';

import { visitEventStream, type RelayedVisitEvent } from './event-publisher.js';

/** Records one relayed event; a rejection leaves the entry pending for another attempt. */
export type RelayedVisitEventHandler = (body: RelayedVisitEvent) => Promise<void>;

/** Options of {@link VisitEventConsumer}. */
export interface VisitEventConsumerOptions {
  redis: Redis;
  /** Key prefix shared with the SFU nodes (default `sd:sfu:`). */
  prefix?: string;
  /** Consumer group; every hub of a deployment joins the same one. Default `hubs`. */
  group?: string;
  /** This hub's name in the group; unique per process. */
  consumer: string;
  handle: RelayedVisitEventHandler;
  /** An entry pending this long on a consumer is claimed by another. Default 30 s. */
  claimIdleMs?: number;
  /**
   * How long an event waits for an earlier event of its visit, counted from when the node sent
   * it; longer than `claimIdleMs`, so an earlier event a crashed hub held is claimed first.
   * Default 60 s.
   */
  orderWaitMs?: number;
  /** XREADGROUP block time. Default 2 s. */
  blockMs?: number;
  logger?: Logger;
}

type Entry = [id: string, fields: string[] | null];

interface Parsed {
  streamId: string;
  eventId: string;
  seq: number;
  body: RelayedVisitEvent;
}

const DONE_TTL_SECONDS = 7 * 24 * 3600;

// [Redis EVAL] Marks an event applied: its id done (idempotency) and the visit's highest
// applied sequence number raised (ordering), then acknowledges the entry.
// KEYS[1] = done key, KEYS[2] = applied key, KEYS[3] = stream
// ARGV = seq, ttl, group, entry id
const SETTLE_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'EX', tonumber(ARGV[2]))
local applied = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) > applied then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
end
return redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
`;

function parse([streamId, fields]: Entry): Parsed | undefined {
  if (fields === null) {
    return undefined;
  }
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    map.set(fields[i], fields[i + 1]);
  }
  const eventId = map.get('id');
  const seq = Number(map.get('seq'));
  const raw = map.get('body');
  if (!eventId || !Number.isInteger(seq) || raw === undefined) {
    return undefined;
  }

  return { streamId, eventId, seq, body: JSON.parse(raw) as RelayedVisitEvent };
}

/**
 * Consumes the SFU nodes' visit-event stream in a Redis consumer group: each entry is handled
 * by exactly one hub and acknowledged (XACK) only once handled, an entry left pending by a
 * hub that crashed or failed is claimed again after `claimIdleMs` (XAUTOCLAIM), an event id
 * already applied is acknowledged without being applied again, and the events of one visit
 * are applied in the order the node emitted them (its sequence numbers), waiting up to
 * `orderWaitMs` for an earlier one another hub is still applying.
 *
 * @example
 * const consumer = new VisitEventConsumer({ redis, consumer: 'hub-1', handle });
 * await consumer.start();
 */
export class VisitEventConsumer {
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #prefix: string;
  readonly #stream: string;
  readonly #group: string;
  readonly #options: VisitEventConsumerOptions;
  readonly #log: Logger;
  #waiting: Parsed[] = [];
  #lastClaim = 0;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(options: VisitEventConsumerOptions) {
    if (!options.consumer) {
      throw new TypeError('"consumer" is required');
    }

    this.#options = options;
    this.#redis = options.redis;
    this.#reader = options.redis.duplicate();
    this.#prefix = options.prefix ?? 'sd:sfu:';
    this.#stream = visitEventStream(this.#prefix);
    this.#group = options.group ?? 'hubs';
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'sfu:events' });
  }

  /** Creates the group (from the stream's start) if needed and starts consuming. */
  async start(): Promise<void> {
    await this.#createGroup();

    this.#loop = this.#run();
  }

  async #createGroup(): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', this.#stream, this.#group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) {
        throw error;
      }
    }
  }

  /** Stops reading; an entry being handled finishes, unhandled ones stay pending. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reader.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        await this.#step();
      } catch (error) {
        if (this.#stopped) {
          return;
        }
        this.#log.warn({ err: error }, 'visit event stream read failed');
        await new Promise((ok) => setTimeout(ok, 500));
        // The stream or its group is gone (a flushed or replaced Redis): make them again.
        if (String(error).includes('NOGROUP')) {
          await this.#createGroup().catch(() => undefined);
        }
      }
    }
  }

  async #step(): Promise<void> {
    const idle = this.#options.claimIdleMs ?? 30_000;
    if (Date.now() - this.#lastClaim >= idle / 2) {
      this.#lastClaim = Date.now();
      const [, claimed] = (await this.#redis.xautoclaim(
        this.#stream,
        this.#group,
        this.#options.consumer,
        idle,
        '0',
        'COUNT',
        100,
      )) as [string, Entry[]];
      await this.#handleAll(claimed);
    }
    const retrying = this.#waiting.splice(0);
    for (const entry of retrying) {
      if (await this.#keep(entry.streamId)) {
        await this.#settle(entry);
      }
    }
    const block = this.#waiting.length > 0 ? 100 : (this.#options.blockMs ?? 2000);
    const read = (await this.#reader.xreadgroup(
      'GROUP',
      this.#group,
      this.#options.consumer,
      'COUNT',
      100,
      'BLOCK',
      block,
      'STREAMS',
      this.#stream,
      '>',
    )) as [string, Entry[]][] | null;
    await this.#handleAll(read?.[0]?.[1] ?? []);
  }

  // Whether a waiting entry is still this consumer's; if so its idle time restarts, so no
  // other hub claims it while it waits for an earlier event of its visit.
  async #keep(streamId: string): Promise<boolean> {
    const me = this.#options.consumer;
    const rows = (await this.#redis.xpending(this.#stream, this.#group, streamId, streamId, 1)) as [
      string,
      string,
    ][];
    if (rows[0]?.[1] !== me) {
      return false;
    }

    await this.#redis.xclaim(this.#stream, this.#group, me, 0, streamId, 'JUSTID');

    return true;
  }

  async #handleAll(entries: Entry[]): Promise<void> {
    for (const entry of entries) {
      const parsed = parse(entry);
      if (parsed === undefined) {
        this.#log.error({ entry: entry[0] }, 'malformed visit event entry dropped');
        await this.#redis.xack(this.#stream, this.#group, entry[0]);
        continue;
      }
      await this.#settle(parsed);
    }
  }

  async #settle(entry: Parsed): Promise<void> {
    const { appointmentId } = entry.body.event;
    const done = `${this.#prefix}events:done:${entry.eventId}`;
    const appliedKey = `${this.#prefix}events:applied:${appointmentId}`;
    if ((await this.#redis.exists(done)) === 1) {
      await this.#redis.xack(this.#stream, this.#group, entry.streamId);
      return;
    }
    const applied = Number((await this.#redis.get(appliedKey)) ?? 0);
    const age = Date.now() - Number(entry.streamId.split('-')[0]);
    const earlierPending = entry.seq > applied + 1;
    if (earlierPending && age < (this.#options.orderWaitMs ?? 60_000)) {
      // A waiting entry claimed back from this very consumer is kept once.
      if (!this.#waiting.some((w) => w.streamId === entry.streamId)) {
        this.#waiting.push(entry);
      }
      return;
    }

    try {
      await this.#options.handle(entry.body);
    } catch (error) {
      // Left pending (no XACK): claimed again after the idle time, by this hub or another.
      this.#log.warn({ err: error, entry: entry.streamId, appointmentId }, 'visit event failed');
      return;
    }
    await this.#redis.eval(
      SETTLE_SCRIPT,
      3,
      done,
      appliedKey,
      this.#stream,
      String(entry.seq),
      String(DONE_TTL_SECONDS),
      this.#group,
      entry.streamId,
    );
  }
}
