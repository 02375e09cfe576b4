import type { types as ms } from 'mediasoup';
import { InvalidStateError, VisitError } from './errors.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Codecs a visit router offers. VP8 first: every browser simulcasts it; H264 for Safari and
 * hardware encoders; Opus with in-band FEC for lossy home networks.
 */
export const VISIT_MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1 },
  },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
  },
];

export interface VisitMediaOptions {
  pool: WorkerPool;
  appointmentId: string;
  /** Producers+consumers a worker carries before a visit spreads to another worker. */
  maxLoadPerWorker: number;
}

/**
 * The routers of one visit. A visit starts with one router on the least-loaded worker; when
 * that worker is past `maxLoadPerWorker`, newcomers get a router on another worker and every
 * producer is piped across with `pipeToRouter` (same producer id on both sides).
 */
export class VisitMedia {
  readonly #options: VisitMediaOptions;
  /** worker index → router */
  readonly #routers = new Map<number, ms.Router>();
  /** producer id → router it was produced on */
  readonly #producerHome = new Map<string, ms.Router>();
  /** `${workerIndex}:${producerId}` already available in that router */
  readonly #present = new Set<string>();
  readonly #pending = new Map<string, Promise<unknown>>();
  /** Placement runs one at a time, so concurrent newcomers never create two routers. */
  #placing: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: VisitMediaOptions) {
    this.#options = options;
  }

  get routerCount(): number {
    return this.#routers.size;
  }

  /** Worker indexes this visit has routers on. */
  get workerIndexes(): number[] {
    return [...this.#routers.keys()];
  }

  /**
   * Router for a newcomer: the visit's emptiest router, or a new one when all are full.
   * Concurrent calls are placed one after another, so they share a router being created
   * (also after a worker died and every participant asks for a new one at once).
   * @throws {InvalidStateError} after {@link close}.
   */
  routerForNewcomer(): Promise<ms.Router> {
    if (this.#closed) {
      return Promise.reject(new InvalidStateError('visit closed'));
    }

    const placed = this.#placing.then(() => this.#place());
    this.#placing = placed.catch(() => undefined);

    return placed;
  }

  async #place(): Promise<ms.Router> {
    if (this.#closed) {
      throw new InvalidStateError('visit closed');
    }

    const { pool, maxLoadPerWorker } = this.#options;
    const withRoom = [...this.#routers.entries()]
      .map(([index, router]) => ({ index, router, load: pool.byIndex(index).load }))
      .filter((r) => r.load < maxLoadPerWorker)
      .sort((a, b) => a.load - b.load);
    if (withRoom[0]) {
      return withRoom[0].router;
    }

    const used = new Set(this.#routers.keys());
    const target = this.#routers.size === 0 ? pool.leastLoaded() : pool.leastLoaded(used);
    const existing = this.#routers.get(target.index);
    if (existing) {
      return existing;
    }

    return this.#createRouter(target.index);
  }

  routerByWorker(index: number): ms.Router | undefined {
    return this.#routers.get(index);
  }

  /** Records a new producer and pipes it into every other router of the visit. */
  async addProducer(producer: ms.Producer, home: ms.Router): Promise<void> {
    this.#producerHome.set(producer.id, home);
    this.#present.add(`${this.#indexOf(home)}:${producer.id}`);
    producer.observer.once('close', () => {
      this.#producerHome.delete(producer.id);
      for (const key of [...this.#present]) {
        if (key.endsWith(`:${producer.id}`)) {
          this.#present.delete(key);
        }
      }
    });
    await Promise.all(
      [...this.#routers.values()]
        .filter((r) => r !== home)
        .map((r) => this.ensureProducerIn(producer.id, r)),
    );
  }

  /**
   * Makes `producerId` consumable in `router`, piping it over from its home router.
   * @throws {VisitError} `NOT_FOUND` for a producer this visit does not carry.
   */
  async ensureProducerIn(producerId: string, router: ms.Router): Promise<void> {
    const key = `${this.#indexOf(router)}:${producerId}`;
    if (this.#present.has(key)) {
      return;
    }
    const inFlight = this.#pending.get(key);
    if (inFlight) {
      await inFlight;
      return;
    }
    const home = this.#producerHome.get(producerId);
    if (!home) {
      throw new VisitError('NOT_FOUND', `producer ${producerId} not in this visit`);
    }

    const piping = home.pipeToRouter({ producerId, router }).then(() => {
      this.#present.add(key);
    });
    this.#pending.set(key, piping);
    try {
      await piping;
    } finally {
      this.#pending.delete(key);
    }
  }

  /** Drops a router whose worker died; the visit's participants rebuild their media. */
  forgetWorker(index: number): boolean {
    const had = this.#routers.delete(index);
    for (const key of [...this.#present]) {
      if (key.startsWith(`${index}:`)) {
        this.#present.delete(key);
      }
    }

    return had;
  }

  close(): void {
    this.#closed = true;
    for (const router of this.#routers.values()) {
      router.close();
    }
    this.#routers.clear();
  }

  async #createRouter(index: number): Promise<ms.Router> {
    const { pool, appointmentId } = this.#options;
    const router = await pool.byIndex(index).worker.createRouter({
      mediaCodecs: VISIT_MEDIA_CODECS,
      appData: { appointmentId, workerIndex: index },
    });
    if (this.#closed) {
      router.close();
      throw new InvalidStateError('visit closed');
    }
    this.#routers.set(index, router);
    // A router closed under the visit (its worker died) leaves the map, so the next newcomer
    // gets a fresh one instead of a closed one.
    router.observer.once('close', () => {
      if (this.#routers.get(index) === router) {
        this.forgetWorker(index);
      }
    });
    await Promise.all(
      [...this.#producerHome.keys()].map((id) => this.ensureProducerIn(id, router)),
    );

    return router;
  }

  #indexOf(router: ms.Router): number {
    for (const [index, r] of this.#routers) {
      if (r === router) {
        return index;
      }
    }

    return -1;
  }
}
