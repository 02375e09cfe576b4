import { Hono, type MiddlewareHandler } from 'hono';

import { allowedContexts } from '../auth/scopes.js';
import { GatewayError } from '../errors.js';
import type { GatewayEnv } from '../http/env.js';
import { toAuditEvent } from './audit-event.js';
import { fromRow, type AuditFn, type AuditRow } from './trail.js';
import type { ChainReport } from './verify.js';
import type { Queryable } from '@sparkden/alerting';

/**
 * The audit trail over HTTP, for IT administrators: `GET /audit/AuditEvent` (a FHIR
 * searchset of `AuditEvent`s, by `patient`, `date` lower bound `_since` and `_count`) and
 * `GET /audit/verify` (the chain check), for the `it-admin` role with a `user/` or
 * `system/` scope that reads `AuditEvent`. Reading the trail is itself audited.
 */
export function auditRoutes(deps: {
  db: Queryable;
  bearer: MiddlewareHandler<GatewayEnv>;
  audit: AuditFn;
  verify: () => Promise<ChainReport>;
}): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.use('*', deps.bearer, async (c, next) => {
    const caller = c.get('caller');
    // The role, and scopes that reach AuditEvent outside a patient context (an app
    // granted only patient/ or other types' scopes gets nothing here).
    const contexts = allowedContexts(caller.scopes, 'AuditEvent', 'r');
    const allowed = caller.role === 'it-admin' && contexts.some((s) => s !== 'patient');
    await deps.audit({
      action: 'read',
      actor: { sub: caller.sub, role: caller.role },
      resource: 'AuditEvent',
      outcome: allowed ? 'success' : 'denied',
      purpose: 'HOPERAT',
      source: c.get('clientAddress'),
      requestId: c.get('requestId'),
    });
    if (!allowed) {
      throw new GatewayError('FORBIDDEN', 'the audit trail is for IT administrators');
    }

    await next();
  });

  app.get('/AuditEvent', async (c) => {
    const count = Math.min(1000, Number(c.req.query('_count') ?? '100') || 100);
    const patient = c.req.query('patient') ?? null;
    const since = c.req.query('_since') ?? null;
    const { rows } = await deps.db.query<AuditRow>(
      `select * from audit.events where ($1::text is null or patient_id = $1)
         and ($2::timestamptz is null or at >= $2) order by seq desc limit $3`,
      [patient, since, count],
    );
    const entry = rows.map((r) => ({ resource: toAuditEvent(fromRow(r)) }));

    return c.body(
      JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: entry.length, entry }),
      200,
      {
        'Content-Type': 'application/fhir+json',
      },
    );
  });

  app.get('/verify', async (c) => c.json(await deps.verify()));

  return app;
}
