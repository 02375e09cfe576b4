import { Hono } from 'hono';

import type { GatewayEnv } from '../../http/env.js';
import { searchParametersOf } from '../definitions.js';
import { INDEXED_TYPES, isProtectedParam } from '../index-values.js';
import { FINANCIAL_TYPES, type ResourceType } from '../resource-types.js';
import { sendJson } from './http.js';

const INTERACTIONS = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'create',
  'search-type',
];

// Said of a parameter over an identifying field, whose index holds keyed hashes only.
const ENCRYPTED =
  'Encrypted at rest: exact values only (strings also match by their first 1 to 24 characters); no prefixes, :contains or _sort.';

// Said of every reference parameter: how far chaining goes.
const CHAINS =
  'Chains one level to a non-reference parameter of the target (patient.name); name the type (subject:Patient.name) when the reference allows several.';

/**
 * The CapabilityStatement: exactly the types, interactions, search parameters (the
 * string, token, reference, date, quantity, number and uri ones, which the index serves),
 * operations and security this server supports.
 */
export function capabilityStatement(
  base: string,
  issuer: string,
  types: readonly ResourceType[],
): Record<string, unknown> {
  const resource = types.map((type) => {
    if (FINANCIAL_TYPES.includes(type)) {
      return readOnlyResource(type);
    }
    const params = Object.entries(searchParametersOf(type))
      .filter(
        ([code, p]) =>
          code === '_id' ||
          code === '_lastUpdated' ||
          (!code.startsWith('_') && INDEXED_TYPES.includes(p.type ?? '')),
      )
      .map(([code, p]) => ({
        name: code,
        type: p.type,
        ...(isProtectedParam(type, p) ? { documentation: ENCRYPTED } : {}),
        ...(p.type === 'reference' ? { documentation: CHAINS } : {}),
      }));
    const operations =
      type === 'Patient' || type === 'Group'
        ? [
            {
              name: 'export',
              definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
            },
          ]
        : type === 'Observation'
          ? [
              {
                name: 'lastn',
                definition: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
              },
            ]
          : [];

    return {
      type,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: false,
      conditionalUpdate: false,
      conditionalDelete: 'not-supported',
      interaction: INTERACTIONS.map((code) => ({ code })),
      // Only references that can land on a type served here: the rest would include nothing.
      searchInclude: Object.entries(searchParametersOf(type))
        .filter(
          ([code, p]) =>
            !code.startsWith('_') &&
            p.type === 'reference' &&
            p.expression !== undefined &&
            (p.target ?? []).some((t) => (types as readonly string[]).includes(t)),
        )
        .map(([code]) => `${type}:${code}`),
      searchParam: params,
      ...(operations.length > 0 ? { operation: operations } : {}),
    };
  });
  const oauth = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: 'Spark Den gateway' },
    implementation: { description: 'Spark Den FHIR R4 API', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
            },
          ],
          extension: [
            {
              url: oauth,
              extension: [
                { url: 'authorize', valueUri: `${issuer}/oauth2/authorize` },
                { url: 'token', valueUri: `${issuer}/oauth2/token` },
              ],
            },
          ],
        },
        resource,
        searchParam: [
          { name: '_count', type: 'number' },
          { name: '_sort', type: 'string' },
          { name: '_include', type: 'string' },
          { name: '_summary', type: 'token' },
          { name: '_elements', type: 'string' },
        ],
        operation: [
          {
            name: 'export',
            definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export',
          },
        ],
      },
    ],
  };
}

// A type another part keeps: read and search by patient and _id, nothing else.
function readOnlyResource(type: ResourceType): Record<string, unknown> {
  return {
    type,
    versioning: 'no-version',
    readHistory: false,
    updateCreate: false,
    conditionalCreate: false,
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: [
      { name: '_id', type: 'token' },
      { name: 'patient', type: 'reference' },
    ],
  };
}

/**
 * `GET /metadata` (no token needed [FHIR R4 http 3.1.0.13]); `types` is asked on the first
 * request, after every part has registered what it serves.
 */
export function metadataRoutes(
  base: string | undefined,
  issuer: string,
  types: () => readonly ResourceType[],
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  let cached: Record<string, unknown> | undefined;

  app.get('/metadata', (c) => {
    cached ??= capabilityStatement(base ?? `${new URL(c.req.url).origin}/fhir`, issuer, types());

    return sendJson(c, cached);
  });

  return app;
}
