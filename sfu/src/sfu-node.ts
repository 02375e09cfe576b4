import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';

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
  /** Register this node's load in Redis for placement (both or neither). */
  cluster?: { redisUrl: string; publicUrl: string; nodeId?: string };
  /** Origins allowed to open signaling from a browser (default: none but same origin). */
  corsOrigins?: string[];
  onVisitEvent?: SfuServiceOptions['onVisitEvent'];
  audit?: SfuServiceOptions['audit'];
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
 * `cluster`, the node registers its load in Redis and the gateway places visits on it.
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
  const sfu = createSfuService({
    tokenKey: options.tokenKey,
    logger,
    media: options.media,
    onVisitEvent: options.onVisitEvent,
    audit: options.audit,
    ...(c === undefined
      ? {}
      : { cluster: { redis: c.redisUrl, url: c.publicUrl, nodeId: c.nodeId } }),
  });
  const answer: RequestListener = (req, res) => {
    const status = sfu.status();
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    } else if (req.url === '/readyz') {
      const code = status.media.available ? 200 : 503;
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(status));
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
    },
  };
}
