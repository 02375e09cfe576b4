import type { MiddlewareHandler } from 'hono';

import type { Authenticate } from '../auth/authenticate.js';
import { GatewayError } from '../errors.js';
import type { GatewayEnv } from './env.js';

/**
 * Requires `Authorization: Bearer <token>` and sets `caller` from the verified token.
 * Failures throw `UNAUTHENTICATED`, which the error handler turns into a 401 with a
 * `WWW-Authenticate` challenge [RFC 6750 3].
 *
 * @example
 * ```ts
 * app.use('/fhir/*', requireBearer(authenticate));
 * ```
 */
export function requireBearer(authenticate: Authenticate): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new GatewayError('UNAUTHENTICATED', 'a bearer token is required');
    }

    c.set('caller', await authenticate(match[1]));

    await next();
  };
}
