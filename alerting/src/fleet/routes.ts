import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';

import type { Principal } from '../api/principal.js';
import { FleetError } from './errors.js';
import type { Fleet } from './fleet.js';

/** What an it-admin route asks {@link FleetRoutesDeps.authorize} to allow. */
export type FleetAction =
  | 'fleet:tokens:create'
  | 'fleet:agents:read'
  | 'fleet:agents:revoke'
  | 'fleet:agents:configure'
  | 'fleet:keys:rotate';

/** What {@link createFleetRoutes} needs. */
export interface FleetRoutesDeps {
  fleet: Fleet;
  /** Resolves the caller for an action, or throws to deny (the gateway maps the error). */
  authorize: (c: Context, action: FleetAction) => Promise<Principal>;
  /** The MQTT URL agents connect to (`mqtts://hub.example.org:8883`). */
  mqttUrl: string | (() => string);
}

const base64url32 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be base64url of 32 raw bytes')
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64url')));

const enrollSchema = z.object({
  token: z.string().min(1).max(256),
  csrPem: z.string().min(1).max(16_384),
  sealingPublicKey: base64url32,
  version: z.string().min(1).max(64),
});

const tokenSchema = z.object({
  label: z.string().min(1).max(128).optional(),
  ttlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

const revokeSchema = z.object({ reason: z.string().max(256).optional() });
const configSchema = z.object({ config: z.record(z.string(), z.unknown()) });

async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch (cause) {
    throw new FleetError('BAD_REQUEST', 'the body is not JSON', { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new FleetError('BAD_REQUEST', issues.join('; '));
  }

  return parsed.data;
}

function answerError(c: Context, error: unknown): Response {
  if (error instanceof FleetError) {
    return c.json({ error: { code: error.code, message: error.message } }, error.status);
  }
  throw error;
}

/**
 * The fleet's HTTP routes as a Hono sub-app, mounted by the gateway at `/api/fleet`:
 * `POST /enroll` (public, authenticated by a one-time token) and, for it-admins through
 * `authorize`, `POST /tokens`, `GET /agents`, `POST /agents/:id/revoke`,
 * `PUT /agents/:id/config`, `POST /agents/:id/rotate-key` and `POST /rotate-keys` (every
 * active agent's sealing key). Fleet errors answer `{ error: { code, message } }` with a 4xx.
 *
 * @example
 * ```ts
 * app.route('/api/fleet', createFleetRoutes({ fleet, authorize, mqttUrl: 'mqtts://hub:8883' }));
 * ```
 */
export function createFleetRoutes(deps: FleetRoutesDeps): Hono {
  const app = new Hono();
  const mqttUrl = () => (typeof deps.mqttUrl === 'function' ? deps.mqttUrl() : deps.mqttUrl);
  app.use('*', bodyLimit({ maxSize: 64 * 1024 }));

  app.post('/enroll', async (c) => {
    try {
      const request = await readBody(c, enrollSchema);
      const e = await deps.fleet.enroll(request);

      return c.json(
        {
          agentId: e.agentId,
          certificatePem: e.certificatePem,
          caPem: e.caPem,
          hubSealingPublicKey: Buffer.from(e.hubSealingPublicKey).toString('base64url'),
          keyId: e.keyId,
          mqttUrl: mqttUrl(),
          ...(e.config ? { config: e.config } : {}),
        },
        201,
      );
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.post('/tokens', async (c) => {
    const principal = await deps.authorize(c, 'fleet:tokens:create');
    try {
      const input = await readBody(c, tokenSchema);
      const issued = await deps.fleet.createToken({ ...input, createdBy: principal.sub });

      return c.json({ ...issued, expiresAt: issued.expiresAt.toISOString() }, 201);
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.get('/agents', async (c) => {
    await deps.authorize(c, 'fleet:agents:read');

    return c.json({ agents: await deps.fleet.listAgents() });
  });

  app.post('/agents/:id/revoke', async (c) => {
    const principal = await deps.authorize(c, 'fleet:agents:revoke');
    try {
      const { reason } = await readBody(c, revokeSchema);
      await deps.fleet.revoke(c.req.param('id'), { by: principal.sub, reason });

      return c.json({ agentId: c.req.param('id'), state: 'revoked' });
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.put('/agents/:id/config', async (c) => {
    const principal = await deps.authorize(c, 'fleet:agents:configure');
    try {
      const { config } = await readBody(c, configSchema);
      const push = await deps.fleet.setConfig(c.req.param('id'), config, principal.sub);

      return c.json({ agentId: c.req.param('id'), version: push.version, issuedAt: push.issuedAt });
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.post('/agents/:id/rotate-key', async (c) => {
    const principal = await deps.authorize(c, 'fleet:keys:rotate');
    try {
      const agentId = c.req.param('id');
      const rotation = await deps.fleet.rotateSealingKeys({ agentId, by: principal.sub });

      return c.json(rotation, 202);
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.post('/rotate-keys', async (c) => {
    const principal = await deps.authorize(c, 'fleet:keys:rotate');
    try {
      const rotation = await deps.fleet.rotateSealingKeys({ by: principal.sub });

      return c.json(rotation, 202);
    } catch (error) {
      return answerError(c, error);
    }
  });

  return app;
}
