import { Hono, type Context } from 'hono';

import type { FieldCipher } from '../../crypto/field-cipher.js';
import type { GatewayEnv } from '../../http/env.js';
import { runSearch } from '../search/run.js';
import type { FhirService } from '../service.js';
import { fhirRequest, readBody, sendJson, sendResource } from './http.js';

function queryEntries(c: Context<GatewayEnv>): [string, string][] {
  return [...new URL(c.req.url).searchParams.entries()];
}

/**
 * Type-level interactions: create (POST), search by GET and by POST `_search` with a
 * form body [FHIR R4 http 3.1.0.8: both forms are equivalent].
 */
export function typeRoutes(
  fhir: FhirService,
  cipher: FieldCipher,
  base: string | undefined,
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get('/:type', async (c) => {
    const bundle = await runSearch(
      fhir,
      cipher,
      fhirRequest(c, base),
      c.req.param('type'),
      queryEntries(c),
    );

    return sendJson(c, bundle);
  });

  app.post('/:type/_search', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const fromForm = Object.entries(form).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v])
        .filter((x): x is string => typeof x === 'string')
        .map((x) => [k, x] as [string, string]),
    );
    const entries = [...queryEntries(c), ...fromForm];
    const bundle = await runSearch(
      fhir,
      cipher,
      fhirRequest(c, base),
      c.req.param('type'),
      entries,
    );

    return sendJson(c, bundle);
  });

  app.post('/:type', async (c) => {
    const req = fhirRequest(c, base);
    const type = c.req.param('type');
    const saved = await fhir.create(req, type, await readBody(c));
    c.header(
      'Location',
      `${req.base}/${type}/${saved.id ?? ''}/_history/${saved.meta?.versionId ?? '1'}`,
    );

    return sendResource(c, saved, 201);
  });

  return app;
}
