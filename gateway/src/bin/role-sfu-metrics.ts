import type { SfuService } from '@sparkden/sfu';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Options of {@link createSfuMetricsListener}. */
export interface SfuMetricsOptions {
  /** When set, a scrape must send `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Where a failed scrape is reported. */
  logger?: Logger;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

// [RFC 6750 §2.1] `Bearer` is case-insensitive; compared in constant time, as digests.
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');

  return m !== null && timingSafeEqual(digest(m[1]), expected);
}

/**
 * The registry of a standalone SFU node, sampled from `sfu.status()` on every scrape. The
 * names the hub's embedded SFU exports (`sparkden_sfu_worker_load{worker}`,
 * `sparkden_sfu_workers`) mean the same here, so `SparkDenSfuNearCapacity` watches either;
 * labels are pool indexes, never a visit or a person.
 */
export function createSfuNodeRegistry(sfu: SfuService): Registry {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'sparkden_' });
  const perWorker = (name: string, help: string, field: 'load' | 'consumers' | 'routers') =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers,
      collect() {
        // Reset first: a worker gone since the last scrape leaves no stale series.
        this.reset();
        const { media } = sfu.status();
        for (const w of media.available ? (media.workerStatus ?? []) : []) {
          this.set({ worker: String(w.index) }, w[field]);
        }
      },
    });
  perWorker(
    'sparkden_sfu_worker_load',
    'Consumers and producers carried by each mediasoup worker, by pool index',
    'load',
  );
  perWorker(
    'sparkden_sfu_worker_consumers',
    'Consumers carried by each mediasoup worker, by pool index',
    'consumers',
  );
  perWorker(
    'sparkden_sfu_worker_routers',
    'Visit routers on each mediasoup worker, by pool index',
    'routers',
  );
  const nodeWide = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  nodeWide('sparkden_sfu_workers', 'mediasoup workers running (0 without video visits)', () => {
    const { media } = sfu.status();
    return media.available ? media.workers : 0;
  });
  nodeWide('sparkden_sfu_visits', 'Visit rooms open on this SFU node', () => sfu.status().visits);
  nodeWide(
    'sparkden_sfu_participants',
    'Participants holding a seat (lobby or call) on this SFU node',
    () => sfu.status().participants ?? 0,
  );

  return registry;
}

/**
 * `GET /metrics` of a standalone SFU node (`sparkden start --role sfu`) in Prometheus text
 * format. With `token` (from `SPARKDEN_METRICS_TOKEN_FILE`), only a scrape carrying it as a
 * bearer token is answered; others get 401 with `WWW-Authenticate` [RFC 6750 §3].
 *
 * @example
 * ```ts
 * await startSfuNode({ …, routes: (sfu) => ({ '/metrics': createSfuMetricsListener(sfu) }) });
 * ```
 */
export function createSfuMetricsListener(
  sfu: SfuService,
  options: SfuMetricsOptions = {},
): RequestListener {
  if (options.token !== undefined && options.token.length < 16) {
    throw new TypeError('"token" must be at least 16 characters');
  }

  const registry = createSfuNodeRegistry(sfu);
  const expected = options.token === undefined ? undefined : digest(options.token);

  return (req, res) => {
    if (expected !== undefined && !bearerMatches(req.headers.authorization, expected)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"' })
        .end('metrics need a bearer token\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: unknown) => {
        options.logger?.error({ err: error }, 'metrics scrape failed');
        res.writeHead(500).end();
      },
    );
  };
}
