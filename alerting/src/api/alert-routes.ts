import { Hono, type Context } from 'hono';
import { z } from 'zod';

import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertError } from '../alerts/errors.js';
import type { Alert } from '../alerts/types.js';
import type { Rule } from '../rules/types.js';
import type { DisplayNameOf, Principal } from './principal.js';

/** What a request asks to do; the gateway's `authorize` decides (RBAC + ABAC). */
export type AlertAction =
  | 'alerts.read'
  | 'alerts.acknowledge'
  | 'alerts.resolve'
  | 'alerts.escalate'
  | 'alerts.silence'
  | 'alerts.mark-non-actionable'
  | 'rules.read'
  | 'rules.write'
  | 'overrides.read'
  | 'overrides.write'
  | 'profiles.read'
  | 'profiles.write'
  | 'units.write'
  | 'devices.write'
  | 'reports.read';

/** Dependencies of {@link createAlertRoutes}. */
export interface AlertRoutesDeps<P extends Principal = Principal> {
  engine: AlertEngine;
  /** Resolves the caller and checks the action on the scope; throws when denied. */
  authorize: (
    c: Context,
    action: AlertAction,
    scope: { patientId?: string; unit?: string },
  ) => Promise<P>;
  /** Names the acknowledger on the alert; without it an acknowledgement carries the id only. */
  displayNameOf?: DisplayNameOf<P>;
}

const noteBody = z.object({ note: z.string().max(500).optional() }).strict();
const reasonBody = z.object({ reason: z.string().max(500).optional() }).strict();
const silenceBody = z
  .object({
    unit: z.string().min(1).max(64).optional(),
    patientId: z.string().min(1).max(128).optional(),
    ruleId: z.string().min(1).max(64).optional(),
    code: z.string().min(1).max(128).optional(),
    endsAt: z.iso.datetime({ offset: true }),
    reason: z.string().max(500).optional(),
  })
  .strict();
const overrideBody = z
  .object({ params: z.record(z.string(), z.unknown()), reason: z.string().max(500).optional() })
  .strict();
const profileBody = z
  .object({
    spo2Scale: z.union([z.literal(1), z.literal(2)]),
    onOxygen: z.boolean(),
    consciousness: z.enum(['A', 'C', 'V', 'P', 'U']),
    conditions: z.array(z.string().min(1).max(64)).max(32).default([]),
  })
  .strict();
const unitBody = z.object({ unit: z.string().min(1).max(64) }).strict();
const cadenceBody = z.object({ cadenceMs: z.number().int().positive().nullable() }).strict();
const ruleBody = z
  .object({ id: z.string(), kind: z.string(), title: z.string().max(200), enabled: z.boolean() })
  .loose();
const listQuery = z.object({
  status: z.string().optional(),
  severity: z.string().optional(),
  patientId: z.string().optional(),
  unit: z.string().optional(),
  ruleId: z.string().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

async function parse<T>(schema: z.ZodType<T>, input: unknown): Promise<T> {
  const result = await schema.safeParseAsync(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TypeError(`"${issue?.path.join('.') || 'body'}": ${issue?.message ?? 'invalid'}`);
  }

  return result.data;
}

async function body(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new TypeError('"body" must be JSON');
  }
}

function unitsOf(p: Principal): string[] | undefined {
  return p.units.includes('*') ? undefined : p.units;
}

/**
 * The alert and rule API the gateway mounts at `/api/alerting`: list and read alerts with
 * their explanation and history, acknowledge / resolve / escalate / silence / mark
 * non-actionable, rules and per-patient overrides, patient profiles and units, and the
 * non-actionable rate per unit. Every route asks the injected `authorize` first; errors
 * travel to the gateway's handler ({@link httpStatusOf} gives their status). With
 * `displayNameOf`, an acknowledgement also names who made it, for other consoles to show.
 *
 * @example
 * ```ts
 * app.route('/api/alerting', createAlertRoutes({ engine, authorize, displayNameOf }));
 * ```
 */
export function createAlertRoutes<P extends Principal>(deps: AlertRoutesDeps<P>): Hono {
  const { engine, authorize, displayNameOf } = deps;
  const app = new Hono();

  async function alertFor(
    c: Context,
    action: AlertAction,
  ): Promise<{ alert: Alert; principal: P }> {
    const alert = await engine.get(c.req.param('id') ?? '');
    if (alert === undefined) {
      throw new AlertError('NOT_FOUND', 'no such alert');
    }
    const principal = await authorize(c, action, { patientId: alert.patientId, unit: alert.unit });

    return { alert, principal };
  }

  app.get('/alerts', async (c) => {
    const q = await parse(listQuery, c.req.query());
    const p = await authorize(c, 'alerts.read', { patientId: q.patientId, unit: q.unit });
    const units = q.unit === undefined ? unitsOf(p) : [q.unit];
    // A patient named in the query was checked above (ABAC: a clinician's care team, a
    // nurse's units), so their alerts need no unit filter; a clinician covers no units.
    const byPatient = p.role === 'patient' || (q.patientId !== undefined && q.unit === undefined);
    const alerts = await engine.store.list({
      units: byPatient ? undefined : units,
      patientId: p.role === 'patient' ? p.patientId : q.patientId,
      status: q.status?.split(',') as Alert['status'][] | undefined,
      severity: q.severity?.split(','),
      ruleId: q.ruleId,
      since: q.since,
      until: q.until,
      limit: q.limit,
    });

    return c.json({ alerts });
  });

  app.get('/alerts/by-patient', async (c) => {
    const p = await authorize(c, 'alerts.read', {});

    return c.json({ patients: engine.openByPatient(unitsOf(p)) });
  });

  app.get('/alerts/:id', async (c) => {
    const { alert } = await alertFor(c, 'alerts.read');

    return c.json({ alert, history: await engine.store.history(alert.id) });
  });

  app.post('/alerts/:id/acknowledge', async (c) => {
    const { alert, principal } = await alertFor(c, 'alerts.acknowledge');
    const { note } = await parse(noteBody, await body(c));
    const actor = { id: principal.sub, name: await displayNameOf?.(principal) };

    return c.json({ alert: await engine.acknowledge(alert.id, actor, note) });
  });

  app.post('/alerts/:id/resolve', async (c) => {
    const { alert, principal } = await alertFor(c, 'alerts.resolve');
    const { note } = await parse(noteBody, await body(c));

    return c.json({ alert: await engine.resolve(alert.id, principal.sub, note) });
  });

  app.post('/alerts/:id/escalate', async (c) => {
    const { alert, principal } = await alertFor(c, 'alerts.escalate');

    return c.json({ alert: await engine.escalate(alert.id, principal.sub) });
  });

  app.post('/alerts/:id/non-actionable', async (c) => {
    const { alert, principal } = await alertFor(c, 'alerts.mark-non-actionable');
    const { reason } = await parse(reasonBody, await body(c));

    return c.json({ alert: await engine.markNonActionable(alert.id, principal.sub, reason) });
  });

  app.get('/silences', async (c) => {
    const p = await authorize(c, 'alerts.read', {});
    const units = unitsOf(p);
    const silences = engine
      .activeSilences()
      .filter(
        (s) => units === undefined || units.includes(s.unit ?? engine.unitOf(s.patientId ?? '')),
      );

    return c.json({ silences });
  });

  app.post('/silences', async (c) => {
    const input = await parse(silenceBody, await body(c));
    const unit =
      input.unit ?? (input.patientId === undefined ? undefined : engine.unitOf(input.patientId));
    const p = await authorize(c, 'alerts.silence', { patientId: input.patientId, unit });

    return c.json({ silence: await engine.silence(input, p.sub) }, 201);
  });

  app.delete('/silences/:id', async (c) => {
    const id = c.req.param('id');
    const silence = engine.activeSilences().find((s) => s.id === id);
    if (silence === undefined) {
      throw new AlertError('NOT_FOUND', 'no such active silence');
    }
    const unit = silence.unit ?? engine.unitOf(silence.patientId ?? '');
    const p = await authorize(c, 'alerts.silence', { patientId: silence.patientId, unit });
    await engine.endSilence(id, p.sub);

    return c.body(null, 204);
  });

  app.get('/rules', async (c) => {
    await authorize(c, 'rules.read', {});

    return c.json({ rules: engine.currentRules() });
  });

  app.put('/rules/:id', async (c) => {
    const p = await authorize(c, 'rules.write', {});
    const rule = (await parse(ruleBody, await body(c))) as unknown as Rule;
    if (rule.id !== c.req.param('id')) {
      throw new TypeError('"id" must match the path');
    }

    return c.json({ rule: await engine.putRule(rule, p.sub) });
  });

  app.delete('/rules/:id', async (c) => {
    const p = await authorize(c, 'rules.write', {});
    if (!(await engine.deleteRule(c.req.param('id'), p.sub))) {
      throw new AlertError('NOT_FOUND', 'no such rule');
    }

    return c.body(null, 204);
  });

  const patientScope = (c: Context) => {
    const patientId = c.req.param('patientId') ?? '';

    return { patientId, unit: engine.unitOf(patientId) };
  };

  app.get('/patients/:patientId/overrides', async (c) => {
    const scope = patientScope(c);
    await authorize(c, 'overrides.read', scope);

    return c.json({ overrides: await engine.rules.overrides(scope.patientId) });
  });

  app.put('/patients/:patientId/overrides/:ruleId', async (c) => {
    const scope = patientScope(c);
    const p = await authorize(c, 'overrides.write', scope);
    const input = await parse(overrideBody, await body(c));
    const override = await engine.setOverride(
      { ...input, ruleId: c.req.param('ruleId'), patientId: scope.patientId },
      p.sub,
    );

    return c.json({ override });
  });

  app.delete('/patients/:patientId/overrides/:ruleId', async (c) => {
    const scope = patientScope(c);
    const p = await authorize(c, 'overrides.write', scope);
    if (!(await engine.deleteOverride(c.req.param('ruleId'), scope.patientId, p.sub))) {
      throw new AlertError('NOT_FOUND', 'no such override');
    }

    return c.body(null, 204);
  });

  app.get('/patients/:patientId/profile', async (c) => {
    const scope = patientScope(c);
    await authorize(c, 'profiles.read', scope);

    return c.json({ profile: engine.profileOf(scope.patientId), unit: scope.unit });
  });

  app.put('/patients/:patientId/profile', async (c) => {
    const scope = patientScope(c);
    const p = await authorize(c, 'profiles.write', scope);
    const input = await parse(profileBody, await body(c));

    return c.json({
      profile: await engine.setProfile({ ...input, patientId: scope.patientId }, p.sub),
    });
  });

  app.put('/patients/:patientId/unit', async (c) => {
    const { unit } = await parse(unitBody, await body(c));
    const scope = patientScope(c);
    const p = await authorize(c, 'units.write', { patientId: scope.patientId, unit });
    await engine.setPatientUnit(scope.patientId, unit, p.sub);

    return c.json({ patientId: scope.patientId, unit });
  });

  app.put('/devices/:deviceId/cadence', async (c) => {
    const p = await authorize(c, 'devices.write', {});
    const { cadenceMs } = await parse(cadenceBody, await body(c));
    // A cadence may be set before the device's first reading.
    const seen = await engine.setDeviceCadence(c.req.param('deviceId'), cadenceMs, p.sub);

    return c.json({ deviceId: c.req.param('deviceId'), cadenceMs, seen });
  });

  app.get('/reports/non-actionable', async (c) => {
    const q = await parse(
      z.object({
        since: z.iso.datetime({ offset: true }),
        until: z.iso.datetime({ offset: true }),
        unit: z.string().optional(),
      }),
      c.req.query(),
    );
    const p = await authorize(c, 'reports.read', { unit: q.unit });
    const units = q.unit === undefined ? unitsOf(p) : [q.unit];

    return c.json({ rates: await engine.store.nonActionableRates(q.since, q.until, units) });
  });

  return app;
}
