import { Hono } from 'hono';

import type { GatewayEnv } from '../../http/env.js';
import { historyBundle } from '../bundle.js';
import type { FhirService } from '../service.js';
import { FHIR_JSON, fhirRequest, ifMatchOf, readBody, sendJson, sendResource } from './http.js';

/**
 * Instance-level interactions [FHIR R4 http]: read, vread, update (PUT with `If-Match`),
 * patch (JSON Patch), delete and history.
 */
export function instanceRoutes(fhir: FhirService, base: string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get('/:type/:id', async (c) => {
    const resource = await fhir.read(fhirRequest(c, base), c.req.param('type'), c.req.param('id'));

    return sendResource(c, resource);
  });

  app.get('/:type/:id/_history', async (c) => {
    const req = fhirRequest(c, base);
    const { type, id } = c.req.param();
    const entries = await fhir.history(req, type, id);

    return sendJson(c, historyBundle(req.base, type, id, entries));
  });

  app.get('/:type/:id/_history/:vid', async (c) => {
    const { type, id, vid } = c.req.param();
    const version = Number(vid);
    const resource = await fhir.vread(
      fhirRequest(c, base),
      type,
      id,
      Number.isInteger(version) ? version : -1,
    );

    return sendResource(c, resource);
  });

  app.put('/:type/:id', async (c) => {
    const { type, id } = c.req.param();
    const body = await readBody(c);
    const { resource, created } = await fhir.update(
      fhirRequest(c, base),
      type,
      id,
      body,
      ifMatchOf(c),
    );
    if (created) {
      c.header(
        'Location',
        `${fhirRequest(c, base).base}/${type}/${id}/_history/${resource.meta?.versionId ?? '1'}`,
      );
    }

    return sendResource(c, resource, created ? 201 : 200);
  });

  app.patch('/:type/:id', async (c) => {
    const { type, id } = c.req.param();
    const ops = await readBody<unknown>(c);
    const resource = await fhir.patch(fhirRequest(c, base), type, id, ops, ifMatchOf(c));

    return sendResource(c, resource);
  });

  app.delete('/:type/:id', async (c) => {
    const { type, id } = c.req.param();
    await fhir.delete(fhirRequest(c, base), type, id);
    c.header('Content-Type', FHIR_JSON);

    return c.body(null, 204);
  });

  return app;
}
