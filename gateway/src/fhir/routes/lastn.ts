import { Hono } from 'hono';

import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import type { FieldCipher } from '../../crypto/field-cipher.js';
import { lastN } from '../lastn.js';
import type { FhirService } from '../service.js';
import { fhirRequest, sendJson } from './http.js';

/**
 * `GET /Observation/$lastn` [FHIR R4 Observation-lastn]: the newest `max` (default 1)
 * Observations per code for one patient, device readings included. Takes the Observation
 * search parameters (`patient` required, `category`, `code`, `date`, `status`).
 */
export function lastnRoutes(
  fhir: FhirService,
  cipher: FieldCipher,
  base: string | undefined,
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get('/Observation/$lastn', async (c) => {
    const params = new URL(c.req.url).searchParams;
    const max = Number(params.get('max') ?? '1');
    if (!Number.isInteger(max) || max < 1 || max > 100) {
      throw new GatewayError('INVALID', '"max" must be an integer from 1 to 100');
    }

    const req = fhirRequest(c, base);
    const latest = await lastN(fhir, cipher, req, [...params.entries()], max);
    const entry = latest.map((resource) => ({
      fullUrl: `${req.base}/Observation/${String(resource.id)}`,
      resource,
      search: { mode: 'match' },
    }));

    return sendJson(c, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry });
  });

  return app;
}
