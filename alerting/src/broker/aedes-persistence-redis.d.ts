// The package ships no types; this covers what redis-backplane.ts uses of its documented API.
declare module 'aedes-persistence-redis' {
  import type { Redis, RedisOptions } from 'ioredis';

  namespace aedesPersistenceRedis {
    interface Options extends RedisOptions {
      /** An already created connection; the persistence disconnects it on `destroy`. */
      conn?: Redis;
      /** Offline messages delivered on CONNECT, at most (default 1000). */
      maxSessionDelivery?: number;
    }

    /** aedes 1.x persistence: every method also answers with a promise. */
    interface Persistence {
      setup(broker: unknown): Promise<void>;
      destroy(): Promise<void>;
    }
  }

  function aedesPersistenceRedis(
    options?: aedesPersistenceRedis.Options,
  ): aedesPersistenceRedis.Persistence;

  export = aedesPersistenceRedis;
}
