import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type * as mediasoupNs from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { InvalidStateError } from './errors.js';

type MediasoupModule = typeof mediasoupNs;

/** Network settings of the media plane: few ports, one WebRtcServer per worker. */
export interface MediaNetworkOptions {
  /** Address the WebRtcServers bind to. Default `0.0.0.0`. */
  listenIp?: string;
  /** Address or host name announced in ICE candidates (the node's public/NAT address). */
  announcedAddress?: string;
  /**
   * First port: worker i listens on UDP and TCP `basePort + i`. Hospital IT opens
   * `basePort … basePort + workers - 1`. Omit (tests) to let each server pick a free port.
   */
  basePort?: number;
}

export interface WorkerPoolOptions extends MediaNetworkOptions {
  mediasoup: MediasoupModule;
  logger: Logger;
  /** Default: one per core. */
  numWorkers?: number;
  /** Called when a worker died and was replaced; rooms on it must rebuild their routers. */
  onWorkerReplaced?: (index: number) => void;
}

/** One mediasoup worker with its WebRtcServer and live load counters. */
export interface PooledWorker {
  index: number;
  worker: ms.Worker;
  webRtcServer: ms.WebRtcServer;
  /** Producers + consumers currently on this worker (the CPU-relevant count). */
  load: number;
  producers: number;
  consumers: number;
  routers: number;
}

/**
 * One worker per core, each with a WebRtcServer, and least-loaded selection. A worker that
 * dies is replaced; `onWorkerReplaced` tells the rooms that lived on it.
 *
 * @example
 * const pool = await WorkerPool.start({ mediasoup, logger });
 * const { worker, webRtcServer } = pool.leastLoaded();
 */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #workers: PooledWorker[] = [];
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const count = options.numWorkers ?? availableParallelism();
    if (!(count >= 1)) {
      throw new TypeError('"numWorkers" must be >= 1');
    }

    const pool = new WorkerPool(options);
    try {
      for (let i = 0; i < count; i++) {
        pool.#workers.push(await pool.#spawn(i));
      }
    } catch (error) {
      pool.close();
      throw error;
    }

    return pool;
  }

  get workers(): readonly PooledWorker[] {
    return this.#workers;
  }

  /** Sum of producers and consumers over all workers. */
  get totalLoad(): number {
    return this.#workers.reduce((n, w) => n + w.load, 0);
  }

  /** The worker with the fewest producers+consumers (ties: fewest routers, then index). */
  leastLoaded(exclude: ReadonlySet<number> = new Set()): PooledWorker {
    if (this.#closed) {
      throw new InvalidStateError('worker pool closed');
    }
    const candidates = this.#workers.filter((w) => !exclude.has(w.index));
    const pick = (candidates.length ? candidates : this.#workers).reduce((best, w) =>
      w.load < best.load || (w.load === best.load && w.routers < best.routers) ? w : best,
    );

    return pick;
  }

  byIndex(index: number): PooledWorker {
    const found = this.#workers[index];
    if (!found) {
      throw new InvalidStateError(`no worker ${index}`);
    }

    return found;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#workers) {
      w.worker.close();
    }
    this.#workers.length = 0;
  }

  async #spawn(index: number): Promise<PooledWorker> {
    const { mediasoup, logger } = this.#options;
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    const listenIp = this.#options.listenIp ?? '0.0.0.0';
    const port = this.#options.basePort === undefined ? undefined : this.#options.basePort + index;
    const announcedAddress = this.#options.announcedAddress;
    const listen = (protocol: 'udp' | 'tcp'): ms.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
      ...(port === undefined ? { portRange: { min: 20000, max: 59999 } } : { port }),
    });
    let webRtcServer: ms.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [listen('udp'), listen('tcp')],
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    const pooled: PooledWorker = {
      index,
      worker,
      webRtcServer,
      load: 0,
      producers: 0,
      consumers: 0,
      routers: 0,
    };
    this.#countLoad(pooled);
    worker.on('died', (error) => {
      logger.error({ err: error, worker: index }, 'mediasoup worker died; replacing it');
      void this.#replace(index);
    });
    logger.info({ worker: index, pid: worker.pid }, 'mediasoup worker started');

    return pooled;
  }

  async #replace(index: number): Promise<void> {
    if (this.#closed) {
      return;
    }
    try {
      this.#workers[index] = await this.#spawn(index);
      this.#options.onWorkerReplaced?.(index);
    } catch (error) {
      this.#options.logger.error({ err: error, worker: index }, 'worker replacement failed');
    }
  }

  #countLoad(pooled: PooledWorker): void {
    type Closable = { observer: { once(e: 'close', l: () => void): unknown } };
    const track = (field: 'producers' | 'consumers') => (entity: Closable) => {
      pooled.load += 1;
      pooled[field] += 1;
      entity.observer.once('close', () => {
        pooled.load -= 1;
        pooled[field] -= 1;
      });
    };
    pooled.worker.observer.on('newrouter', (router) => {
      pooled.routers += 1;
      router.observer.once('close', () => (pooled.routers -= 1));
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newproducer', track('producers'));
        transport.observer.on('newconsumer', track('consumers'));
      });
    });
  }
}
