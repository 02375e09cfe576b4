import { Hono, type MiddlewareHandler } from 'hono';

import { smartConfiguration } from '../../auth/well-known.js';
import type { FieldCipher } from '../../crypto/field-cipher.js';
import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import type { BulkExporter } from '../bulk-export.js';
import type { FhirService } from '../service.js';
import { auditFailures } from './audit-failures.js';
import { exportRoutes } from './export-routes.js';
import { instanceRoutes } from './instance-routes.js';
import { lastnRoutes } from './lastn.js';
import { fhirRequest } from './http.js';
import { metadataRoutes } from './metadata.js';
import { typeRoutes } from './type-routes.js';

/** What {@link fhirRoutes} needs. */
export interface FhirRoutesDeps {
  fhir: FhirService;
  cipher: FieldCipher;
  exporter: BulkExporter;
  bearer: MiddlewareHandler<GatewayEnv>;
  issuer: string;
  /** The public FHIR base URL; derived from each request when absent. */
  baseUrl?: string | undefined;
}

/**
 * A clinician may break the glass for one request with `X-Break-Glass-Reason`: access to a
 * patient outside their care relationships, audited with purpose BTG and the reason. An
 * attempt by any other role is refused and audited as a denied `break-glass`.
 */
function breakGlass(fhir: FhirService, base: string | undefined): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const reason = c.req.header('x-break-glass-reason');
    if (reason !== undefined) {
      const caller = c.get('caller');
      if (caller.role !== 'clinician') {
        const error = new GatewayError('FORBIDDEN', 'only clinicians may break the glass');
        const resource = c.req.path.replace(/^.*?\/fhir\//, '');
        await fhir.record(fhirRequest(c, base), 'break-glass', resource, undefined, 'denied');
        fhir.markAudited(error);
        throw error;
      }
      if (reason.trim().length < 10 || reason.length > 500) {
        throw new GatewayError('INVALID', 'X-Break-Glass-Reason must be 10-500 characters');
      }
      c.set('caller', { ...caller, breakGlass: { reason: reason.trim() } });
    }

    await next();
  };
}

/**
 * The FHIR R4 API, to mount at `/fhir`: `/metadata` and `/.well-known/smart-configuration`
 * are public [SMART App Launch 2.0 2.0.2: discovery relative to the FHIR base]; everything
 * else needs a bearer token, passes scope, role and patient checks, and is audited even
 * when it fails.
 *
 * @example
 * ```ts
 * app.route('/fhir', fhirRoutes({ fhir, cipher, exporter, bearer, issuer }));
 * ```
 */
export function fhirRoutes(deps: FhirRoutesDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const base = deps.baseUrl;

  app.route(
    '/',
    metadataRoutes(base, deps.issuer, () => deps.fhir.sources.served()),
  );
  app.get('/.well-known/smart-configuration', (c) => c.json(smartConfiguration(deps.issuer)));
  app.use('*', deps.bearer, auditFailures(deps.fhir, base), breakGlass(deps.fhir, base));
  app.route('/', exportRoutes(deps.exporter, base));
  app.route('/', lastnRoutes(deps.fhir, deps.cipher, base));
  app.route('/', typeRoutes(deps.fhir, deps.cipher, base));
  app.route('/', instanceRoutes(deps.fhir, base));

  return app;
}
