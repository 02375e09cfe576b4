import type { Context } from 'hono';

import { GatewayError } from '../../errors.js';
import type { GatewayEnv } from '../../http/env.js';
import type { FhirRequest } from '../context.js';
import type { Resource } from '../resource-types.js';

/** The FHIR JSON media type [FHIR R4 http 3.1.0.1.7]. */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** The FHIR request context of a Hono context. */
export function fhirRequest(c: Context<GatewayEnv>, base: string | undefined): FhirRequest {
  const origin = new URL(c.req.url).origin;

  return {
    caller: c.get('caller'),
    base: base ?? `${origin}/fhir`,
    source: c.get('clientAddress'),
    requestId: c.get('requestId'),
  };
}

/** Reads a JSON request body, `INVALID` when it is not JSON. */
export async function readBody<T = Resource>(c: Context<GatewayEnv>): Promise<T> {
  try {
    return await c.req.json();
  } catch (error) {
    throw new GatewayError('INVALID', 'the body is not valid JSON', { cause: error });
  }
}

/** `W/"3"` → 3; `undefined` without the header. @throws `INVALID` when malformed. */
export function ifMatchOf(c: Context<GatewayEnv>): number | undefined {
  const header = c.req.header('if-match');
  if (header === undefined) {
    return undefined;
  }
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (match === null) {
    throw new GatewayError('INVALID', 'If-Match must be a version ETag like W/"3"');
  }

  return Number(match[1]);
}

/** Answers with a resource, its ETag and Last-Modified, honouring `Prefer: return=minimal`. */
export function sendResource(
  c: Context<GatewayEnv>,
  resource: Resource,
  status: 200 | 201 = 200,
): Response {
  const version = resource.meta?.versionId;
  if (version !== undefined) {
    c.header('ETag', `W/"${version}"`);
  }
  if (resource.meta?.lastUpdated !== undefined) {
    c.header('Last-Modified', new Date(resource.meta.lastUpdated).toUTCString());
  }
  if (/return=minimal/.test(c.req.header('prefer') ?? '')) {
    return c.body(null, status);
  }

  return c.body(JSON.stringify(resource), status, { 'Content-Type': FHIR_JSON });
}

/** Answers with any FHIR JSON document. */
export function sendJson(c: Context<GatewayEnv>, body: unknown, status: 200 | 202 = 200): Response {
  return c.body(JSON.stringify(body), status, { 'Content-Type': FHIR_JSON });
}
