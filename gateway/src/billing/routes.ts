import { Hono, type Context } from 'hono';
import { z } from 'zod';

import { COMMUNICATION_ENTRY_PREFIX } from './coding/communications.js';
import { isDay } from './coding/days.js';
import { BillingError } from './errors.js';
import { toFhirBundle } from './fhir.js';
import { toBillingOutcome } from './outcome.js';
import type { BillingService } from './service.js';
import type { ClaimStatusName } from './store/rows.js';
import { parse277 } from './x12/claim-status.js';

/** What a caller may do in billing; the gateway's policy decides who may. */
export type BillingAction =
  | 'billing:read'
  | 'billing:write'
  | 'billing:submit'
  | 'billing:post'
  | 'billing:ledger'
  | 'billing:minutes';

/** Dependencies of {@link createBillingRoutes}. */
export interface BillingRoutesDeps<P extends { sub: string } = { sub: string }> {
  service: BillingService;
  /** Resolves the caller and checks the action (role `billing` is the clerk); throws on deny. */
  authorize: (c: Context, action: BillingAction, scope: { patientId?: string }) => Promise<P>;
  /** Writes an audit record of a PHI read or write (who, what, outcome). */
  audit?: (
    c: Context,
    record: {
      action: BillingAction;
      actor: string;
      patientId?: string;
      claimId?: string;
      outcome: 'success' | 'failure';
    },
  ) => Promise<void>;
}

const X12_TYPE = 'application/edi-x12';
const MAX_X12 = 5_000_000;
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');
const day = z.string().refine(isDay, 'must be a YYYY-MM-DD day');

const minutesBody = z.object({
  id: z.string().min(1).max(128),
  clinicianId: z.string().min(1).max(128),
  occurredAt: z.iso.datetime({ offset: true }),
  day,
  minutes: z.number().positive().max(1440),
  kind: z.enum(['video', 'audio', 'message', 'review']),
  interactionEvidence: z.string().min(1).max(256).optional(),
  visitId: z.string().max(128).optional(),
});
const episodeBody = z.object({ id: z.string().min(1).max(128), start: day, end: day.optional() });
const visitBody = z.object({
  visitId: z.string().min(1).max(128),
  patientId: z.string().min(1).max(128),
  clinicianId: z.string().min(1).max(128),
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }),
  durationMinutes: z.number().nonnegative().max(1440),
  video: z.boolean(),
  patientLocation: z.enum(['home', 'other']),
  newPatient: z.boolean(),
});
const claimBody = z.object({
  patientId: z.string().min(1).max(128),
  month,
  payerId: z.string().min(1),
  diagnoses: z.array(z.string()).min(1).max(12).optional(),
  codes: z.array(z.string()).optional(),
  renderingProvider: z
    .object({ npi: z.string(), lastName: z.string(), firstName: z.string() })
    .optional(),
});
const eligibilityBody = z.object({
  patientId: z.string().min(1),
  payerId: z.string().min(1),
  serviceDate: day,
});

function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new BillingError(
      'INVALID_INPUT',
      'request is invalid',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
    );
  }

  return parsed.data;
}

async function readX12(c: Context): Promise<string> {
  const text = await c.req.text();
  if (text.length === 0 || text.length > MAX_X12) {
    throw new BillingError('INVALID_INPUT', `X12 body must be 1..${MAX_X12} characters`);
  }

  return text;
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (error) {
    throw new BillingError('INVALID_INPUT', 'body must be JSON', [], { cause: error });
  }
}

/**
 * The billing API as a Hono sub-app, for the gateway to mount at `/api/billing`:
 * suggestions with explanations, the minutes ledger, visits, claims (JSON and FHIR), 837P
 * download, 835 posting, 270/271, 276/277 and the worklist. Billing failures answer with a
 * FHIR `OperationOutcome`; any other error (a denied `authorize`) travels to the gateway.
 *
 * @example
 * ```ts
 * app.route('/api/billing', createBillingRoutes({ service, authorize, audit }));
 * ```
 */
export function createBillingRoutes<P extends { sub: string }>(deps: BillingRoutesDeps<P>): Hono {
  const app = new Hono();
  const { service } = deps;
  const { store } = service;

  interface Scope {
    patientId?: string;
    claimId?: string;
  }

  // Resolves the scope, authorizes, works and audits; billing failures answer here, any
  // other error (a denial from `authorize`) travels on to the gateway's error handler.
  async function guard(
    c: Context,
    action: BillingAction,
    resolve: () => Promise<Scope> | Scope,
    work: (scope: Scope, actor: P) => Promise<Response>,
  ): Promise<Response> {
    let actor: P | undefined;
    let scope: Scope = {};
    try {
      scope = await resolve();
      actor = await deps.authorize(c, action, { patientId: scope.patientId });
      const response = await work(scope, actor);
      await deps.audit?.(c, { action, actor: actor.sub, ...scope, outcome: 'success' });

      return response;
    } catch (error) {
      if (actor !== undefined) {
        await deps.audit?.(c, { action, actor: actor.sub, ...scope, outcome: 'failure' });
      }
      const mapped = toBillingOutcome(error);
      if (mapped === undefined) {
        throw error;
      }

      return c.json(mapped.outcome, mapped.status as 400);
    }
  }

  const x12 = (c: Context, text: string, name: string) =>
    c.body(text, 200, {
      'content-type': X12_TYPE,
      'content-disposition': `attachment; filename="${name}"`,
    });
  const patient = (c: Context) => () => ({ patientId: c.req.param('patientId') });
  const none = () => ({});

  // A claim's patient scopes the check; the role is checked before the claim is looked up,
  // so an unauthorised caller learns nothing of which claims exist.
  const claim = (c: Context, action: BillingAction) => async (): Promise<Scope> => {
    await deps.authorize(c, action, {});
    const id = c.req.param('id') ?? '';
    const stored = await store.getClaim(id);

    return { patientId: stored.patientId, claimId: id };
  };

  app.get('/patients/:patientId/suggestions', (c) =>
    guard(c, 'billing:read', patient(c), async ({ patientId }) => {
      const m = parseWith(month, c.req.query('month'));

      return c.json(await service.suggest(patientId!, m, c.req.query('payerId')));
    }),
  );

  app.post('/patients/:patientId/minutes', (c) =>
    guard(c, 'billing:ledger', patient(c), async ({ patientId }) => {
      const body = parseWith(minutesBody, await readJson(c));
      if (body.id.startsWith(COMMUNICATION_ENTRY_PREFIX)) {
        throw new BillingError(
          'INVALID_INPUT',
          `ids starting ${COMMUNICATION_ENTRY_PREFIX} are kept for calls and messages`,
        );
      }
      await store.ledger.addMinutes({ ...body, patientId: patientId! });

      return c.json({ id: body.id }, 201);
    }),
  );

  app.get('/patients/:patientId/minutes', (c) =>
    guard(c, 'billing:minutes', patient(c), async ({ patientId }) => {
      const m = parseWith(month, c.req.query('month'));

      return c.json(await service.listMinutes(patientId!, m));
    }),
  );

  app.post('/patients/:patientId/episodes', (c) =>
    guard(c, 'billing:write', patient(c), async ({ patientId }) => {
      const body = parseWith(episodeBody, await readJson(c));
      await store.ledger.addEpisode({ ...body, patientId: patientId! });

      return c.json({ id: body.id }, 201);
    }),
  );

  app.post('/visits', (c) => {
    let body: z.infer<typeof visitBody>;

    return guard(
      c,
      'billing:ledger',
      async () => {
        body = parseWith(visitBody, await readJson(c));

        return { patientId: body.patientId };
      },
      async () => {
        await store.ledger.recordVisit(body);

        return c.json({ visitId: body.visitId }, 201);
      },
    );
  });

  app.post('/claims', (c) => {
    let body: z.infer<typeof claimBody>;

    return guard(
      c,
      'billing:write',
      async () => {
        body = parseWith(claimBody, await readJson(c));

        return { patientId: body.patientId };
      },
      async () => c.json(await service.createClaim(body), 201),
    );
  });

  app.get('/claims', (c) =>
    guard(
      c,
      'billing:read',
      () => ({ patientId: c.req.query('patientId') }),
      async ({ patientId }) => {
        const status = c.req.query('status') as ClaimStatusName | undefined;

        return c.json(await store.listClaims({ patientId, status }));
      },
    ),
  );

  app.get('/claims/:id', (c) =>
    guard(c, 'billing:read', claim(c, 'billing:read'), async ({ claimId }) => {
      const stored = await store.getClaim(claimId!);
      const [payments, statusHistory] = await Promise.all([
        store.listPayments(claimId!),
        store.listClaimStatus(claimId!),
      ]);

      return c.json({ ...stored, payments, statusHistory });
    }),
  );

  app.get('/claims/:id/fhir', (c) =>
    guard(c, 'billing:read', claim(c, 'billing:read'), async ({ claimId }) => {
      const stored = await store.getClaim(claimId!);
      const bundle = toFhirBundle(stored, await store.listPayments(claimId!));

      return c.json(bundle, 200, { 'content-type': 'application/fhir+json' });
    }),
  );

  app.get('/claims/:id/837', (c) =>
    guard(c, 'billing:submit', claim(c, 'billing:submit'), async ({ claimId }) =>
      x12(c, await service.get837(claimId!), `${claimId}.837`),
    ),
  );

  app.post('/claims/:id/837', (c) =>
    guard(c, 'billing:submit', claim(c, 'billing:submit'), async ({ claimId }) =>
      x12(c, await service.submit837(claimId!), `${claimId}.837`),
    ),
  );

  app.post('/claims/:id/276', (c) =>
    guard(c, 'billing:submit', claim(c, 'billing:submit'), async ({ claimId }) =>
      x12(c, await service.claimStatusRequest(claimId!), `${claimId}.276`),
    ),
  );

  // [X12 277 005010X212] each claim's STC statuses go into its history; a finalized one
  // moves the claim (paid, partially paid, denied). Answers naming no claim come back unmatched.
  app.post('/277', (c) =>
    guard(c, 'billing:post', none, async () => {
      const answers = parse277(await readX12(c));

      return c.json({ answers, ...(await store.applyClaimStatus(answers)) });
    }),
  );

  app.post('/remittances', (c) =>
    guard(c, 'billing:post', none, async () => c.json(await store.post835(await readX12(c)), 201)),
  );

  app.post('/eligibility', (c) => {
    let body: z.infer<typeof eligibilityBody>;

    return guard(
      c,
      'billing:submit',
      async () => {
        body = parseWith(eligibilityBody, await readJson(c));

        return { patientId: body.patientId };
      },
      async () =>
        x12(
          c,
          await service.eligibilityRequest(body.patientId, body.payerId, body.serviceDate),
          'eligibility.270',
        ),
    );
  });

  app.post('/eligibility/response', (c) =>
    guard(c, 'billing:post', none, async () =>
      c.json(await service.eligibilityResponse(await readX12(c))),
    ),
  );

  app.get('/worklist', (c) =>
    guard(c, 'billing:read', none, async () =>
      c.json(await store.listWorklist({ all: c.req.query('all') === 'true' })),
    ),
  );

  app.post('/worklist/:id/resolve', (c) =>
    guard(c, 'billing:write', none, async (_scope, actor) => {
      const id = Number(c.req.param('id'));
      if (!Number.isSafeInteger(id)) {
        throw new BillingError('INVALID_INPUT', 'worklist id must be an integer');
      }

      return c.json(await store.resolveWorklistItem(id, actor.sub));
    }),
  );

  return app;
}
