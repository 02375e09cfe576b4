import type { AlertingService, Database } from '@sparkden/alerting';
import type { Context } from 'hono';

/** What {@link readinessHandler} checks. */
export interface ReadinessOptions {
  db: Database;
  alerting: AlertingService;
  /** The Redis link consoles fan out through, when several hubs share one. */
  redis?: { isReady(): boolean };
  /** How long the database may take to answer (default 2000 ms). */
  timeoutMs?: number;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no answer in ${ms} ms`)), ms);
  });

  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * `GET /readyz`: 200 only while this hub can take work — the database answers, the agents'
 * broker listens, the upstream broker link and the shared Redis (when configured) are up —
 * a hub cut off from the Redis its peers share would miss their alerts — else 503 with the
 * failing checks, so a load balancer stops sending it traffic. `/healthz` stays a liveness
 * probe that never touches a dependency.
 *
 * @example
 * ```ts
 * app.get('/readyz', readinessHandler({ db, alerting }));
 * ```
 */
export function readinessHandler(options: ReadinessOptions) {
  const timeoutMs = options.timeoutMs ?? 2000;

  return async (c: Context) => {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(options.db.query('select 1'), timeoutMs);
      checks.database = 'ok';
    } catch (error) {
      // The reason is the driver's, e.g. ECONNREFUSED; no query text or values.
      checks.database = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    checks.broker = options.alerting.broker.isListening() ? 'ok' : 'not listening';
    const upstream = options.alerting.upstream;
    if (upstream !== undefined) {
      checks.upstream = upstream.isConnected() ? 'ok' : 'disconnected';
    }
    if (options.redis !== undefined) {
      checks.redis = options.redis.isReady() ? 'ok' : 'disconnected';
    }
    const ready = Object.values(checks).every((v) => v === 'ok');

    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  };
}
