import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';

import { VisitEventPublisher, type RelayedVisitEvent } from './event-publisher.js';
import { createSfuService, type SfuService, type SfuServiceOptions } from './service.js';

/** Options of {@link startSfuNode}. */
export interface SfuNodeOptions {
  /** The gateway's visit-token secret (at least 32 bytes), shared by every node. */
  tokenKey: Uint8Array;
  /** HTTP port of signaling and health (0 picks a free one). */
  port: number;
  /** Interface of the HTTP listener (default `127.0.0.1`). */
  host?: string;
  /** HTTPS (TLS 1.3 or later) for signaling; plain HTTP when absent. */
  tls?: { certPem: string; keyPem: string };
  media?: SfuServiceOptions['media'];
  /**
   * Register this node's load in Redis for placement, and relay its visit events and audit
   * records to the hubs through the `<prefix>events` stream (`prefix` default `sd:sfu:`).
   */
  cluster?: {
    redisUrl: string;
    publicUrl: string;
    nodeId?: string;
    prefix?: string;
    /** How often the node publishes its load (default 5 s). */
    heartbeatMs?: number;
  };
  /**
   * More GET routes on the node's listener, by path (e.g. `/metrics`), made once the service
   * exists. The paths of health, readiness and signaling are not replaced.
   */
  routes?: (sfu: SfuService) => Readonly<Record<string, RequestListener>>;
  /** Origins allowed to open signaling from a browser (default: none but same origin). */
  corsOrigins?: string[];
  onVisitEvent?: SfuServiceOptions['onVisitEvent'];
  audit?: SfuServiceOptions['audit'];
  now?: SfuServiceOptions['now'];
  logger?: Logger;
}

/** A running SFU node. */
export interface SfuNode {
  readonly sfu: SfuService;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * One SFU node on its own: mediasoup workers, socket.io signaling under `/visit`, and
 * `GET /healthz` (alive, with the media status) and `GET /readyz` (200 only while a media
 * worker runs, so a load balancer sends visits only where they can be carried). With
 * `cluster`, the node registers its load in Redis, the gateway places visits on it, and its
 * visit events and audit records go to the hubs through a Redis Stream.
 *
 * @example
 * ```ts
 * const node = await startSfuNode({ tokenKey, port: 4443, media: { announcedAddress } });
 * ```
 */
export async function startSfuNode(options: SfuNodeOptions): Promise<SfuNode> {
  if (options.tokenKey.length < 32) {
    throw new TypeError('"tokenKey" must be at least 32 bytes');
  }

  const logger = options.logger ?? pino({ level: 'silent' });
  const c = options.cluster;
  const nodeId = c?.nodeId ?? `${hostname()}:${process.pid}`;
  const relay = c === undefined ? undefined : new Redis(c.redisUrl, { lazyConnect: true });
  await relay?.connect();
  const publisher =
    relay === undefined
      ? undefined
      : new VisitEventPublisher({ redis: relay, prefix: c?.prefix, nodeId });
  const sinkOf =
    <T>(kind: RelayedVisitEvent['kind'], local: ((e: T) => void | Promise<void>) | undefined) =>
    async (event: T) => {
      await publisher?.publish({ kind, event } as RelayedVisitEvent);
      await local?.(event);
    };
  const sfu = createSfuService({
    tokenKey: options.tokenKey,
    logger,
    media: options.media,
    onVisitEvent: sinkOf('visit', options.onVisitEvent),
    audit: sinkOf('audit', options.audit),
    now: options.now,
    ...(c === undefined
      ? {}
      : {
          cluster: {
            redis: c.redisUrl,
            url: c.publicUrl,
            nodeId,
            prefix: c.prefix,
            heartbeatMs: c.heartbeatMs,
          },
        }),
  });
  const routes = options.routes?.(sfu) ?? {};
  const answer: RequestListener = (req, res) => {
    const status = sfu.status();
    const path = (req.url ?? '/').split('?')[0];
    const extra = Object.hasOwn(routes, path) && req.method === 'GET' ? routes[path] : undefined;
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    } else if (req.url === '/readyz') {
      const code = status.media.available ? 200 : 503;
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    } else if (extra !== undefined && !path.startsWith('/socket.io/')) {
      extra(req, res);
    } else if (!req.url?.startsWith('/socket.io/')) {
      res.writeHead(404).end();
    }
  };
  const tls = options.tls;
  const http: HttpServer =
    tls === undefined
      ? createServer(answer)
      : createHttpsServer({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.3' }, answer);
  const io = new Server(http, { cors: { origin: options.corsOrigins ?? false } });
  await sfu.start();
  sfu.attach(io);
  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(options.port, options.host ?? '127.0.0.1', () => ok());
  });
  const port = (http.address() as AddressInfo).port;
  logger.info({ port }, 'sfu listening');

  return {
    sfu,
    port,
    async stop() {
      await sfu.stop();
      await new Promise<void>((ok) => void io.close(() => ok()));
      await relay?.quit();
    },
  };
}
