import { Hono, type Context } from 'hono';

import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import { BulkExporter } from '../bulk-export.js';
import { precisionRange } from '../index-values.js';
import { fhirRequest, sendJson } from './http.js';

/**
 * Bulk Data endpoints [Bulk Data Access 2.0]: kick-off (`Patient/$export`,
 * `Group/{id}/$export`, `Prefer: respond-async` required), status polling
 * (`$export-status/{job}`: 202 with `X-Progress` until done, then the manifest), the NDJSON
 * files, and DELETE to cancel.
 */
export function exportRoutes(exporter: BulkExporter, base: string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  const kickOff = async (c: Context<GatewayEnv>, groupId: string | undefined) => {
    if (!/respond-async/.test(c.req.header('prefer') ?? '')) {
      throw new GatewayError('INVALID', '$export needs "Prefer: respond-async"');
    }
    const format = c.req.query('_outputFormat');
    if (
      format !== undefined &&
      !['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(format)
    ) {
      throw new GatewayError('INVALID', '_outputFormat must be application/fhir+ndjson');
    }
    const sinceRaw = c.req.query('_since');
    const since = sinceRaw === undefined ? undefined : precisionRange(sinceRaw)?.[0];
    if (sinceRaw !== undefined && since === undefined) {
      throw new GatewayError('INVALID', '_since must be a FHIR instant');
    }
    const req = fhirRequest(c, base);
    const id = await exporter.start(req, {
      groupId,
      types: BulkExporter.typesOf(c.req.query('_type')),
      since: since === undefined ? undefined : new Date(since),
      url: c.req.url,
    });
    c.header('Content-Location', `${req.base}/$export-status/${id}`);

    return c.body(null, 202);
  };

  app.get('/Patient/$export', (c) => kickOff(c, undefined));
  app.get('/Group/:id/$export', (c) => kickOff(c, c.req.param('id')));

  app.get('/$export-status/:job', async (c) => {
    const req = fhirRequest(c, base);
    const status = await exporter.status(req.caller, c.req.param('job'));
    if (status.status === 'in-progress') {
      c.header('X-Progress', `${status.files.length} files written`);
      c.header('Retry-After', '2');

      return c.body(null, 202);
    }
    if (status.status === 'error') {
      throw new GatewayError('INVALID', status.error ?? 'export failed');
    }
    const job = c.req.param('job');

    return sendJson(c, {
      transactionTime: status.transactionTime,
      request: status.request,
      requiresAccessToken: true,
      output: status.files.map((f) => ({
        type: f.type,
        url: `${req.base}/$export-file/${job}/${f.n}`,
        count: f.count,
      })),
      error: [],
    });
  });

  app.get('/$export-file/:job/:n', async (c) => {
    const body = await exporter.file(c.get('caller'), c.req.param('job'), Number(c.req.param('n')));

    return c.body(body, 200, { 'Content-Type': 'application/fhir+ndjson' });
  });

  app.delete('/$export-status/:job', async (c) => {
    await exporter.remove(c.get('caller'), c.req.param('job'));

    return c.body(null, 202);
  });

  return app;
}
