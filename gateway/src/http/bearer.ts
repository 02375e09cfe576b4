import type { Context, MiddlewareHandler } from 'hono';

import type { Caller } from '../access/principal.js';
import type { AuditFn } from '../audit/trail.js';
import type { Authenticate } from '../auth/authenticate.js';
import { GatewayError } from '../errors.js';
import type { GatewayEnv } from './env.js';

/**
 * Verifies the request's `Authorization: Bearer <token>`. Every failure (no token, a
 * malformed, expired or revoked one, one from an unknown issuer) is audited as a failed
 * `authenticate` with the refusal's fixed reason, then throws `UNAUTHENTICATED`.
 *
 * @example
 * ```ts
 * const caller = await authenticateRequest(c, authenticate, audit);
 * ```
 */
export async function authenticateRequest(
  c: Context,
  authenticate: Authenticate,
  audit: AuditFn | undefined,
): Promise<Caller> {
  const header = c.req.header('authorization') ?? '';
  const token = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header)?.[1];
  try {
    if (token === undefined) {
      throw new GatewayError('UNAUTHENTICATED', 'a bearer token is required');
    }

    return await authenticate(token);
  } catch (error) {
    if (audit !== undefined && error instanceof GatewayError && error.code === 'UNAUTHENTICATED') {
      const vars = c.var as Partial<GatewayEnv['Variables']>;
      const cause = (error.cause as { code?: unknown } | undefined)?.code;
      // The reason is one of the authenticator's fixed texts; never the token or its claims.
      await audit({
        action: 'authenticate',
        outcome: 'failure',
        resource: c.req.path,
        source: vars.clientAddress,
        requestId: vars.requestId,
        detail: { reason: error.message, ...(typeof cause === 'string' ? { cause } : {}) },
      });
    }
    throw error;
  }
}

/**
 * Requires `Authorization: Bearer <token>` and sets `caller` from the verified token.
 * Failures are audited and throw `UNAUTHENTICATED`, which the error handler turns into a
 * 401 with a `WWW-Authenticate` challenge [RFC 6750 3].
 *
 * @example
 * ```ts
 * app.use('/fhir/*', requireBearer(authenticate, audit));
 * ```
 */
export function requireBearer(
  authenticate: Authenticate,
  audit?: AuditFn,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    c.set('caller', await authenticateRequest(c, authenticate, audit));

    await next();
  };
}
