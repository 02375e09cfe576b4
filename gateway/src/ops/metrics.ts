import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { HubQueueGauges } from './queue-depths.js';

/**
 * The hub's Prometheus metrics. One registry per hub, so two hubs in one process (tests)
 * never mix their numbers. Names follow Prometheus conventions (`_total`, `_seconds`).
 */
export interface HubMetrics {
  readonly registry: Registry;
  readonly ingestedObservations: Counter<'outcome'>;
  readonly ingestBatches: Counter<'outcome'>;
  readonly agentQueueDepth: Gauge<'agent'>;
  readonly agentOldestQueuedSeconds: Gauge<'agent'>;
  readonly alertLatency: Histogram<'severity'>;
  readonly ruleEvaluation: Histogram;
  readonly alertsRaised: Counter<'severity'>;
  readonly sfuWorkerLoad: Gauge<'worker'>;
  readonly sfuWorkers: Gauge;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** The hub's queues in the database, read on scrape once watched. */
  readonly queues: HubQueueGauges;
}

/**
 * Creates the hub's metrics with the process defaults (CPU, memory, event-loop lag).
 *
 * @example
 * ```ts
 * const metrics = createHubMetrics();
 * app.use(httpMetrics(metrics));
 * app.get('/metrics', metricsHandler(metrics));
 * ```
 */
export function createHubMetrics(): HubMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sparkden_' });
  const registers = [registry];

  return {
    registry,
    ingestedObservations: new Counter({
      name: 'sparkden_ingest_observations_total',
      help: 'Observations received from agents, by outcome (stored, duplicate, rejected)',
      labelNames: ['outcome'],
      registers,
    }),
    ingestBatches: new Counter({
      name: 'sparkden_ingest_batches_total',
      help: 'Sealed batches received from agents, by outcome (acked, refused, failed)',
      labelNames: ['outcome'],
      registers,
    }),
    agentQueueDepth: new Gauge({
      name: 'sparkden_agent_queue_depth',
      help: 'Batches queued on each agent, from its last heartbeat',
      labelNames: ['agent'],
      registers,
    }),
    agentOldestQueuedSeconds: new Gauge({
      name: 'sparkden_agent_oldest_queued_seconds',
      help: 'Age of the oldest batch queued on each agent, from its last heartbeat',
      labelNames: ['agent'],
      registers,
    }),
    alertLatency: new Histogram({
      name: 'sparkden_alert_latency_seconds',
      help: 'From the reading reaching the hub to its alert being pushed to consoles',
      labelNames: ['severity'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    ruleEvaluation: new Histogram({
      name: 'sparkden_rule_evaluation_seconds',
      help: 'Time the rule engine spends on one committed batch',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    }),
    alertsRaised: new Counter({
      name: 'sparkden_alerts_raised_total',
      help: 'Alerts raised, by severity',
      labelNames: ['severity'],
      registers,
    }),
    sfuWorkerLoad: new Gauge({
      name: 'sparkden_sfu_worker_load',
      help: 'Consumers and producers carried by each mediasoup worker, by pool index',
      labelNames: ['worker'],
      registers,
    }),
    sfuWorkers: new Gauge({
      name: 'sparkden_sfu_workers',
      help: 'mediasoup workers running in this hub (0 when video visits are unavailable)',
      registers,
    }),
    httpDuration: new Histogram({
      name: 'sparkden_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    queues: new HubQueueGauges(registers),
  };
}

/**
 * Hono middleware timing every request by its route pattern (`/fhir/:type/:id`), never
 * by its concrete path, so no id ever becomes a label.
 */
export function httpMetrics(metrics: HubMetrics): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.httpDuration.observe(
        { method: c.req.method, route: routePath(c), status: String(c.res.status) },
        (performance.now() - started) / 1000,
      );
    }
  };
}

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** When set, a scrape must send `Authorization: Bearer <token>` (else 401). */
  token?: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

// [RFC 6750 §2.1] `Bearer` is case-insensitive; compared in constant time, as digests.
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? '');

  return m !== null && timingSafeEqual(digest(m[1]), expected);
}

/**
 * The `/metrics` handler in Prometheus text format. With `token`, only a scrape carrying it
 * as a bearer token is answered; others get 401 with `WWW-Authenticate` [RFC 6750 §3].
 *
 * @example
 * ```ts
 * app.get('/metrics', metricsHandler(metrics, { token: process.env.METRICS_TOKEN }));
 * ```
 */
export function metricsHandler(
  metrics: HubMetrics,
  options: MetricsHandlerOptions = {},
): MiddlewareHandler {
  if (options.token !== undefined && options.token.length < 16) {
    throw new TypeError('"token" must be at least 16 characters');
  }
  const expected = options.token === undefined ? undefined : digest(options.token);

  return async (c) => {
    if (expected !== undefined && !bearerMatches(c.req.header('authorization'), expected)) {
      return c.text('metrics need a bearer token\n', 401, {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }

    const body = await metrics.registry.metrics();

    return c.body(body, 200, { 'content-type': metrics.registry.contentType });
  };
}
