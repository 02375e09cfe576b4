import type { MiddlewareHandler } from 'hono';

import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import type { FhirService } from '../service.js';
import { fhirRequest } from './http.js';

/** The audit verb of a FHIR request, from its method and path [FHIR R4 http]. */
export function interactionOf(method: string, path: string): string {
  const segments = path.split('/').filter(Boolean);
  if (segments.some((s) => s.startsWith('$export'))) {
    return 'export';
  }
  if (segments.includes('$lastn') || segments.at(-1) === '_search') {
    return 'search';
  }
  if (segments.includes('_history')) {
    return segments.at(-1) === '_history' ? 'history' : 'vread';
  }
  switch (method) {
    case 'GET':
      return segments.length === 1 ? 'search' : 'read';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}

/**
 * Audits every FHIR request that ends in an error no deeper layer audited (a body that is
 * not JSON, a malformed `If-Match`, bad `$export` or `$lastn` parameters): `denied` for a
 * 403, `failure` with the error code otherwise. The resource is the request path (type
 * and opaque id, never the query string, which can hold PHI).
 */
export function auditFailures(
  fhir: FhirService,
  base: string | undefined,
): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();

    const error = c.error;
    if (error === undefined || fhir.wasAudited(error)) {
      return;
    }
    const code = error instanceof GatewayError ? error.code : 'INTERNAL';
    const path = c.req.path.replace(/^.*?\/fhir(?=\/|$)/, '');
    const outcome = code === 'FORBIDDEN' ? 'denied' : 'failure';
    const action = interactionOf(c.req.method, path);
    await fhir.record(fhirRequest(c, base), action, path.slice(1), undefined, outcome, undefined, {
      code,
    });
  };
}
