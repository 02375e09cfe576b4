import {
  VisitEventConsumer,
  type RelayedVisitEvent,
  type VisitAuditEvent,
  type VisitEvent,
} from '@sparkden/sfu';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Options of {@link startVisitEventRelay}. */
export interface VisitEventRelayOptions {
  redis: Redis;
  /** Key prefix of the SFU nodes (the placement prefix, default `sd:sfu:`). */
  prefix?: string;
  /** This hub's name in the consumer group; unique per process. */
  consumer: string;
  /** The visit recorder (Encounter and minutes ledger), as the embedded SFU uses it. */
  record: (event: VisitEvent) => Promise<void>;
  /** The audit trail, as the embedded SFU uses it. */
  audit: (event: VisitAuditEvent) => Promise<void>;
  /** An entry pending this long on a hub is claimed by another. Default 30 s. */
  claimIdleMs?: number;
  logger: Logger;
}

/**
 * Records the visits carried by standalone SFU nodes: consumes their `<prefix>events` stream
 * in the `hubs` consumer group, so each event is recorded by exactly one hub, through the
 * same recorder and audit trail as the embedded SFU's events (which never enter the stream,
 * so they are not recorded twice). A failed record is retried by whichever hub claims it.
 *
 * @example
 * const relay = await startVisitEventRelay({ redis, consumer: 'hub-1', record, audit, logger });
 * await relay.stop();
 */
export async function startVisitEventRelay(
  options: VisitEventRelayOptions,
): Promise<VisitEventConsumer> {
  const handle = async (body: RelayedVisitEvent): Promise<void> => {
    if (body.kind === 'visit') {
      await options.record(body.event);
    } else {
      await options.audit(body.event);
    }
  };
  const consumer = new VisitEventConsumer({
    redis: options.redis,
    prefix: options.prefix,
    consumer: options.consumer,
    handle,
    claimIdleMs: options.claimIdleMs,
    logger: options.logger,
  });

  await consumer.start();

  return consumer;
}
