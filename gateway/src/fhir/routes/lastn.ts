import { Hono } from 'hono';

import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import type { FieldCipher } from '../../crypto/field-cipher.js';
import type { Resource } from '../resource-types.js';
import { runSearch } from '../search/run.js';
import type { FhirService } from '../service.js';
import { fhirRequest, sendJson } from './http.js';

function codeKey(resource: Resource): string {
  const coding = (resource.code as { coding?: { system?: string; code?: string }[] } | undefined)
    ?.coding?.[0];

  return `${coding?.system ?? ''}|${coding?.code ?? ''}`;
}

/**
 * `GET /Observation/$lastn` [FHIR R4 Observation-lastn]: the newest `max` (default 1)
 * Observations per code for one patient, device readings included. Takes the Observation
 * search parameters (`patient` required, `category`, `code`, `date`).
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
    if (!params.has('patient') && !params.has('subject') && c.get('caller').role !== 'patient') {
      throw new GatewayError('INVALID', '$lastn needs a patient');
    }
    params.delete('max');
    params.set('_count', '1000');
    params.set('_sort', '-date');
    const req = fhirRequest(c, base);
    const all = await runSearch(fhir, cipher, req, 'Observation', [...params.entries()]);
    const seen = new Map<string, number>();
    const entry = ((all.entry ?? []) as { resource: Resource }[]).filter((e) => {
      const key = codeKey(e.resource);
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);

      return n < max;
    });

    return sendJson(c, { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry });
  });

  return app;
}
