import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';

/** The Redis link of {@link useRedisAdapter}. */
export interface RedisAdapterLink {
  /** True while both connections (publish and subscribe) are up. */
  isReady(): boolean;
  /** Closes both connections. */
  close(): Promise<void>;
}

/**
 * Puts a socket.io server on the Redis adapter, so an alert emitted by one hub reaches the
 * consoles connected to every hub sharing the Redis. Returns the link: its state for
 * readiness, and the function that closes the two Redis connections (publish and subscribe).
 */
export async function useRedisAdapter(io: Server, url: string): Promise<RedisAdapterLink> {
  if (!/^rediss?:\/\//.test(url)) {
    throw new TypeError('"redisUrl" must be a redis:// URL');
  }

  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
  const sub = pub.duplicate();
  // A Redis restart must not crash the hub; ioredis reconnects by itself.
  pub.on('error', () => undefined);
  sub.on('error', () => undefined);
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));

  return {
    isReady: () => pub.status === 'ready' && sub.status === 'ready',
    close: async () => {
      pub.disconnect();
      sub.disconnect();
      return Promise.resolve();
    },
  };
}
