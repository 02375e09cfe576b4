import { randomUUID } from 'node:crypto';

import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';

import type { GatewayEnv } from './env.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives each request an id (the caller's `X-Request-Id` when well-formed), a pino child
 * logger carrying it, and the client's address; logs one line per request with the method,
 * the route pattern, the status and the duration. Never the query string, headers or body:
 * they can hold PHI or tokens.
 *
 * @example
 * ```ts
 * app.use(requestContext(logger));
 * ```
 */
export function requestContext(logger: Logger): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('clientAddress', addressOf(c));
    c.header('X-Request-Id', requestId);
    const started = performance.now();

    await next();

    const ms = Math.round((performance.now() - started) * 10) / 10;
    log.debug(
      { method: c.req.method, route: c.req.routePath, status: c.res.status, ms },
      'request',
    );
  };
}

function addressOf(c: Parameters<MiddlewareHandler<GatewayEnv>>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // Requests made in-process (app.request) have no socket.
    return 'in-process';
  }
}
