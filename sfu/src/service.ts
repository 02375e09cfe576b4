import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { Server } from 'socket.io';
import type { types as ms } from 'mediasoup';
import { InvalidStateError, VisitError } from './errors.js';
import { NodeRegistry } from './placement.js';
import { attachVisitSignaling } from './signaling.js';
import { verifyVisitToken, type VisitTokenVerifyKey } from './tokens.js';
import { findWorkerBinary, loadMediasoup } from './worker-binary.js';
import { WorkerPool, type MediaNetworkOptions } from './worker-pool.js';
import type { VisitAuditSink, VisitEventSink } from './visit-events.js';
import { VisitMedia } from './visit-media.js';
import { VisitRoom, type Participant, type RoomSend } from './visit-room.js';

const isSeated = (p: Participant) => p.state !== 'left';

export interface SfuServiceOptions {
  /** Verifies join tokens: the gateway's HMAC secret or public key (see createVisitTokenIssuer). */
  tokenKey: VisitTokenVerifyKey;
  logger?: Logger;
  /** Visit events for the Encounter and the minutes ledger. */
  onVisitEvent?: VisitEventSink;
  /** Audit records for join, admit, leave, end (and mute, kick, deny). */
  audit?: VisitAuditSink;
  /** Media plane: ports, announced address, worker count. */
  media?: MediaNetworkOptions & {
    numWorkers?: number;
    /** Explicit worker binary; default `MEDIASOUP_WORKER_BIN`, then the build cache. */
    workerBin?: string;
    /** Producers+consumers per worker before a visit spreads to another (pipeToRouter). */
    maxLoadPerWorker?: number;
    /** Per-transport incoming bitrate ceiling, bits/s. Default 1.5 Mbit/s. */
    maxIncomingBitrate?: number;
  };
  /** Register this node's load in Redis for cross-node placement. */
  cluster?: {
    redis: Redis | string;
    nodeId?: string;
    /** URL clients use to reach this node. */
    url: string;
    prefix?: string;
    heartbeatMs?: number;
  };
  /** Seat kept for a dropped participant. Default 30 s. */
  reconnectGraceMs?: number;
  /** A visit everyone left ends by itself after this. Default 10 min. */
  emptyVisitTimeoutMs?: number;
  /** The visit clock, epoch ms (default `Date.now`); tests pass a clock they advance. */
  now?: () => number;
}

/** One mediasoup worker as `status()` reports it (counts, no ids of people). */
export interface SfuWorkerStatus {
  /** Pool index: stays the same when a dead worker is replaced. */
  index: number;
  /** OS process id of the worker (changes when it is replaced). */
  pid: number;
  /** Producers + consumers. */
  load: number;
  producers: number;
  consumers: number;
  /** Routers: one per visit on this worker (two workers when a visit spreads). */
  routers: number;
}

/** Media plane state as `status()` reports it. */
export interface SfuStatus {
  media: {
    available: boolean;
    reason?: string;
    workers: number;
    load: number;
    /** Producers + consumers on each worker, by pool index (empty without media). */
    workerLoads?: number[];
    /** Each worker's counts, by pool index (empty without media). */
    workerStatus?: SfuWorkerStatus[];
  };
  /** Visit rooms open on this node. */
  visits: number;
  /** Participants holding a seat (in the lobby or the call) across this node's visits. */
  participants?: number;
}

export interface SfuService {
  /** Starts workers (if the binary is there) and the Redis heartbeat. Never throws for a
   *  missing worker: video visits are reported unavailable and everything else runs on. */
  start(): Promise<SfuStatus>;
  /** Serves the `/visit` namespace on a socket.io server. */
  attach(io: Server): void;
  status(): SfuStatus;
  stop(): Promise<void>;
}

/**
 * Creates the video-visit SFU: mediasoup workers (one per core, each with a WebRtcServer),
 * a router per visit on the least-loaded worker, socket.io signaling on `/visit`, and the load
 * heartbeat that lets the gateway place visits across nodes.
 *
 * @example
 * const sfu = createSfuService({ tokenKey: secret, onVisitEvent, audit });
 * await sfu.start();
 * sfu.attach(io);
 */
export function createSfuService(options: SfuServiceOptions): SfuService {
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ module: 'sfu' });
  const rooms = new Map<string, VisitRoom>();
  const ended = new Set<string>();
  const senders: RoomSend[] = [];
  const maxLoadPerWorker = options.media?.maxLoadPerWorker ?? 400;
  let pool: WorkerPool | undefined;
  let mediaState: { available: boolean; reason?: string } = {
    available: false,
    reason: 'video visits unavailable: SFU not started',
  };
  let registry: NodeRegistry | undefined;
  let redis: Redis | undefined;
  let ownsRedis = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopped = false;

  const safe =
    <T>(sink: ((e: T) => void | Promise<void>) | undefined, what: string) =>
    (event: T) => {
      if (!sink) {
        return;
      }
      Promise.resolve()
        .then(() => sink(event))
        .catch((err: unknown) => logger.error({ err }, `${what} sink failed`));
    };
  const emit = safe(options.onVisitEvent, 'visit event');
  const audit = safe(options.audit, 'audit');

  const send: RoomSend = (participantId, event, payload) => {
    for (const s of senders) {
      s(participantId, event, payload);
    }
  };

  function roomFor(appointmentId: string): VisitRoom {
    if (stopped) {
      throw new InvalidStateError('SFU stopped');
    }
    if (ended.has(appointmentId)) {
      throw new VisitError('VISIT_ENDED', 'this visit has ended');
    }
    let room = rooms.get(appointmentId);
    if (!room) {
      room = new VisitRoom({
        appointmentId,
        send,
        emit,
        audit: (e) => audit({ ...e, appointmentId, at: new Date().toISOString() }),
        media: () => {
          if (!pool) {
            throw new VisitError('MEDIA_UNAVAILABLE', mediaState.reason ?? 'no media workers');
          }
          return Promise.resolve(new VisitMedia({ pool, appointmentId, maxLoadPerWorker }));
        },
        onEnded: () => {
          rooms.delete(appointmentId);
          ended.add(appointmentId);
        },
        reconnectGraceMs: options.reconnectGraceMs ?? 30_000,
        emptyTimeoutMs: options.emptyVisitTimeoutMs ?? 10 * 60_000,
        now: options.now,
      });
      rooms.set(appointmentId, room);
    }

    return room;
  }

  function status(): SfuStatus {
    const workers = pool?.workers ?? [];
    const seated = [...rooms.values()].flatMap((r) => r.participants.filter(isSeated));

    return {
      media: {
        ...mediaState,
        workers: workers.length,
        load: pool?.totalLoad ?? 0,
        workerLoads: workers.map((w) => w.load),
        workerStatus: workers.map((w) => ({
          index: w.index,
          pid: w.worker.pid,
          load: w.load,
          producers: w.producers,
          consumers: w.consumers,
          routers: w.routers,
        })),
      },
      visits: rooms.size,
      participants: seated.length,
    };
  }

  async function startMedia(): Promise<void> {
    const bin = options.media?.workerBin
      ? findWorkerBinary({ ...process.env, MEDIASOUP_WORKER_BIN: options.media.workerBin })
      : findWorkerBinary();
    if (!bin.available) {
      mediaState = { available: false, reason: bin.reason };
      logger.warn({ mediasoup: bin.version }, bin.reason);
      return;
    }
    try {
      const mediasoup = await loadMediasoup(bin.path);
      pool = await WorkerPool.start({
        mediasoup,
        logger,
        numWorkers: options.media?.numWorkers,
        listenIp: options.media?.listenIp,
        announcedAddress: options.media?.announcedAddress,
        basePort: options.media?.basePort,
        onWorkerReplaced: (index) => {
          for (const room of rooms.values()) {
            room.workerLost(index);
          }
        },
      });
      mediaState = { available: true };
    } catch (err) {
      const reason = `video visits unavailable: mediasoup worker failed to start (${bin.path})`;
      mediaState = { available: false, reason };
      logger.error({ err }, reason);
    }
  }

  async function startCluster(): Promise<void> {
    const c = options.cluster;
    if (!c) {
      return;
    }
    ownsRedis = typeof c.redis === 'string';
    redis = typeof c.redis === 'string' ? new Redis(c.redis, { lazyConnect: true }) : c.redis;
    if (ownsRedis) {
      await redis.connect();
    }
    registry = new NodeRegistry({ redis, prefix: c.prefix });
    const nodeId = c.nodeId ?? `${hostname()}:${process.pid}`;
    const capacity = Math.max(1, (pool?.workers.length ?? 0) * maxLoadPerWorker);
    const beat = () =>
      mediaState.available
        ? registry!.publish({ nodeId, url: c.url, load: pool?.totalLoad ?? 0, capacity })
        : registry!.remove(nodeId);
    await beat();
    heartbeat = setInterval(() => {
      beat().catch((err: unknown) => logger.warn({ err }, 'sfu heartbeat failed'));
    }, c.heartbeatMs ?? 5000);
    heartbeat.unref();
  }

  return {
    async start() {
      await startMedia();
      await startCluster();
      logger.info({ media: mediaState.available, workers: pool?.workers.length ?? 0 }, 'sfu up');

      return status();
    },

    attach(io) {
      const nsp = io.of('/visit');
      senders.push(
        attachVisitSignaling(nsp, {
          logger,
          verify: (token) => verifyVisitToken(token, options.tokenKey),
          roomFor,
          findRoom: (id) => rooms.get(id),
          media: () => mediaState,
          webRtcServerFor: (router: ms.Router) => {
            const index = (router.appData as { workerIndex?: number }).workerIndex;
            if (!pool || index === undefined) {
              throw new VisitError('MEDIA_UNAVAILABLE', 'router has no worker');
            }
            return pool.byIndex(index).webRtcServer;
          },
          maxIncomingBitrate: options.media?.maxIncomingBitrate ?? 1_500_000,
        }),
      );
    },

    status,

    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      for (const room of [...rooms.values()]) {
        room.end(null);
      }
      if (registry && options.cluster) {
        // The entry also expires with its heartbeat, so a failed removal is logged, not fatal.
        await registry
          .remove(options.cluster.nodeId ?? `${hostname()}:${process.pid}`)
          .catch((err: unknown) => logger.warn({ err }, 'sfu node deregistration failed'));
      }
      if (ownsRedis) {
        redis?.disconnect();
      }
      pool?.close();
      pool = undefined;
      mediaState = { available: false, reason: 'SFU stopped' };
    },
  };
}
