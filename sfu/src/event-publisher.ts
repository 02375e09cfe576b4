import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

import type { VisitAuditEvent, VisitEvent } from './visit-events.js';

/** What one stream entry carries: a visit event or an audit record of a visit. */
export type RelayedVisitEvent =
  { kind: 'visit'; event: VisitEvent } | { kind: 'audit'; event: VisitAuditEvent };

/** Options of {@link VisitEventPublisher}. */
export interface VisitEventPublisherOptions {
  redis: Redis;
  /** Key prefix shared with the hubs (the placement prefix, default `sd:sfu:`). */
  prefix?: string;
  /** This node's id, carried on each entry for diagnostics. */
  nodeId: string;
  /** Approximate length the stream is trimmed to. Default 100 000 entries. */
  maxLength?: number;
}

/** The Redis Stream of visit events under a prefix: `<prefix>events`. */
export function visitEventStream(prefix = 'sd:sfu:'): string {
  return `${prefix}events`;
}

/** The per-visit sequence counter key under a prefix. */
export function visitSequenceKey(prefix: string, appointmentId: string): string {
  return `${prefix}events:seq:${appointmentId}`;
}

const SEQUENCE_TTL_SECONDS = 7 * 24 * 3600;

// [Redis EVAL] Numbering and appending in one step: each entry of a visit gets the next number
// of that visit, so hubs consuming in parallel can apply one visit's events in order.
// KEYS[1] = stream, KEYS[2] = sequence key; ARGV = event id, node id, body, max length, ttl
const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*',
  'id', ARGV[1], 'node', ARGV[2], 'seq', seq, 'body', ARGV[3])
`;

/**
 * Appends a standalone SFU node's visit events and audit records to the Redis Stream the hubs
 * consume (see `VisitEventConsumer`), so visits placed on the node reach the Encounter, the
 * minutes ledger and the audit trail. Each entry carries a fresh event id (for idempotency)
 * and the visit's next sequence number (for ordering).
 *
 * @example
 * const publisher = new VisitEventPublisher({ redis, nodeId: 'sfu-2' });
 * await publisher.publish({ kind: 'visit', event });
 */
export class VisitEventPublisher {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #nodeId: string;
  readonly #maxLength: number;

  constructor(options: VisitEventPublisherOptions) {
    if (!options.nodeId) {
      throw new TypeError('"nodeId" is required');
    }

    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'sd:sfu:';
    this.#nodeId = options.nodeId;
    this.#maxLength = options.maxLength ?? 100_000;
  }

  /** Appends one event; resolves to its stream entry id. */
  async publish(body: RelayedVisitEvent, eventId: string = randomUUID()): Promise<string> {
    const { appointmentId } = body.event;
    const entryId = (await this.#redis.eval(
      PUBLISH_SCRIPT,
      2,
      visitEventStream(this.#prefix),
      visitSequenceKey(this.#prefix, appointmentId),
      eventId,
      this.#nodeId,
      JSON.stringify(body),
      String(this.#maxLength),
      String(SEQUENCE_TTL_SECONDS),
    )) as string;

    return entryId;
  }
}
