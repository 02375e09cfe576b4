// The package ships no types: its declaration travels with this file into every program
// that compiles it (the web client's test config too), which an import cannot do.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./aedes-persistence-redis.d.ts" />
import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/** Where hubs' brokers meet: one Redis, one namespace per deployment. */
export interface RedisBackplaneOptions {
  /** A `redis://` or `rediss://` URL. */
  url: string;
  /**
   * Prefix of every key and pub/sub channel (default `sparkden`), so two deployments, or a
   * test, can share one Redis without seeing each other's agents.
   */
  namespace?: string;
}

/** What aedes takes from the backplane, and how to let it go. */
export interface RedisBackplane {
  /** The `mq` option of aedes: routes publishes between hubs. */
  mq: unknown;
  /** The `persistence` option of aedes: retained messages, sessions and wills. */
  persistence: unknown;
  /** The key prefix in use (for operators and tests that clean up). */
  keyPrefix: string;
  /** The pub/sub channel prefix in use. */
  channelPrefix: string;
  close(): Promise<void>;
}

type PrefixedEmitter = new (
  prefix: string,
  options: Record<string, unknown>,
) => { state: EventEmitter; close(cb: () => void): void };

const NAMESPACE_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Connects aedes to Redis with `mqemitter-redis` (routing, so a `down/*` frame published on
 * one hub reaches an agent connected to another) and `aedes-persistence-redis` (retained
 * messages, subscriptions and wills every hub sees). Resolves once Redis answers; rejects
 * if it does not, so a hub never starts half-clustered.
 *
 * @example
 * ```ts
 * const backplane = await connectRedisBackplane({ url: 'redis://127.0.0.1:6379' }, log);
 * const aedes = await Aedes.createBroker({ mq: backplane.mq, persistence: backplane.persistence });
 * ```
 */
export async function connectRedisBackplane(
  options: RedisBackplaneOptions,
  log: Logger,
): Promise<RedisBackplane> {
  const namespace = options.namespace ?? 'sparkden';
  if (!NAMESPACE_RE.test(namespace)) {
    throw new TypeError('"redis.namespace" must be 1 to 64 letters, digits, ".", "_" or "-"');
  }
  if (!/^rediss?:\/\//.test(options.url)) {
    throw new TypeError('"redis.url" must be a redis:// or rediss:// URL');
  }

  const keyPrefix = `${namespace}:mqtt:`;
  // Channel names are MQTT topics to mqemitter: the prefix must end on a level boundary.
  const channelPrefix = `${namespace}/mqtt/`;
  const open = (role: string, extra: { keyPrefix?: string; enableAutoPipelining?: boolean }) => {
    const conn = new Redis(options.url, { lazyConnect: true, ...extra });
    // ioredis reconnects by itself; without a listener it would print to stderr.
    conn.on('error', (error: Error) => {
      log.warn({ role, reason: error.message, code: 'REDIS_ERROR' }, 'broker Redis link error');
    });

    return conn;
  };
  const store = open('persistence', { keyPrefix });
  const pub = open('publish', { enableAutoPipelining: true });
  const sub = open('subscribe', {});
  try {
    await Promise.all([store.connect(), pub.connect(), sub.connect()]);
  } catch (cause) {
    store.disconnect();
    pub.disconnect();
    sub.disconnect();
    throw new Error('the broker cannot reach Redis', { cause });
  }

  const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as {
    MQEmitterRedisPrefix: PrefixedEmitter;
  };
  // [MQTT-4.7.1-3] aedes builds its own emitter with matchEmptyLevels; so must this one.
  const mq = new MQEmitterRedisPrefix(channelPrefix, {
    pubConn: pub,
    subConn: sub,
    concurrency: 100,
    matchEmptyLevels: true,
  });
  mq.state.on('error', (error: Error) => {
    log.warn({ reason: error.message, code: 'REDIS_ERROR' }, 'broker Redis routing error');
  });
  const persistence = aedesPersistenceRedis({ conn: store });

  return {
    mq,
    persistence,
    keyPrefix,
    channelPrefix,
    async close() {
      await persistence.destroy().catch(() => store.disconnect());
      // mqemitter-redis quits both of its connections when aedes closes it.
      if (pub.status !== 'end') {
        await new Promise<void>((resolve) => mq.close(resolve));
      }
    },
  };
}
