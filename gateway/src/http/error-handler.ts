import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';

import { GatewayError, toOperationOutcome } from '../errors.js';
import type { GatewayEnv } from './env.js';

/**
 * The app's error handler: every error becomes a FHIR `OperationOutcome` with the status
 * {@link toOperationOutcome} picks. 5xx are logged with their stack; 4xx only by code.
 */
export const handleError: ErrorHandler<GatewayEnv> = (error, c) => {
  const mapped =
    error instanceof HTTPException && !(error instanceof GatewayError)
      ? new GatewayError(error.status === 401 ? 'UNAUTHENTICATED' : 'INVALID', error.message)
      : error;
  const { status, outcome } = toOperationOutcome(mapped);
  const log = c.get('log');

  if (status >= 500) {
    // The message and any driver detail can quote stored values; log where, not what.
    const frames = (error.stack ?? '').split('\n').slice(1, 8).join('\n');
    const code = (error as { code?: unknown }).code;
    log.error({ errName: error.name, errCode: code, frames }, 'request failed');
  } else {
    log.debug({ code: (mapped as GatewayError).code, status }, 'request refused');
  }
  if (status === 401) {
    c.header('WWW-Authenticate', 'Bearer realm="sparkden"');
  }

  return c.json(outcome, status as 400, { 'Content-Type': 'application/fhir+json' });
};

/** Unknown routes answer 404 with an `OperationOutcome`. */
export const handleNotFound: NotFoundHandler<GatewayEnv> = (c) => {
  const { status, outcome } = toOperationOutcome(
    new GatewayError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`),
  );

  return c.json(outcome, status as 404);
};
