import { Hono, type MiddlewareHandler } from 'hono';

import { allowedContexts } from '../auth/scopes.js';
import { GatewayError } from '../errors.js';
import { precisionRange } from '../fhir/index-values.js';
import type { GatewayEnv } from '../http/env.js';
import { toAuditEvent } from './audit-event.js';
import { fromRow, type AuditFn, type AuditRow } from './trail.js';
import type { ChainReport } from './verify.js';
import type { Queryable } from '@sparkden/alerting';

/**
 * The audit trail over HTTP, for IT administrators: `GET /audit/AuditEvent` (a FHIR
 * searchset of `AuditEvent`s, newest first, by `patient`, `date` lower bound `_since` and
 * `_count`, with a `next` link that pages on by record number, `_before`) and
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
    const query = parseAuditQuery(c.req.query());
    const { rows } = await deps.db.query<AuditRow>(
      `select * from audit.events where ($1::text is null or patient_id = $1)
         and ($2::timestamptz is null or at >= $2) and ($3::int8 is null or seq < $3)
       order by seq desc limit $4`,
      [query.patient, query.since, query.before, query.count],
    );
    const entry = rows.map((r) => ({ resource: toAuditEvent(fromRow(r)) }));
    const self = new URL(c.req.url);
    const link = [{ relation: 'self', url: self.toString() }];
    const last = rows.at(-1);
    if (last !== undefined && rows.length === query.count) {
      const next = new URL(self);
      next.searchParams.set('_before', String(last.seq));
      link.push({ relation: 'next', url: next.toString() });
    }

    return c.body(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', link, entry }), 200, {
      'Content-Type': 'application/fhir+json',
    });
  });

  app.get('/verify', async (c) => c.json(await deps.verify()));

  return app;
}

interface AuditQuery {
  patient: string | null;
  since: string | null;
  before: number | null;
  count: number;
}

/**
 * Checks the audit export's parameters.
 *
 * @throws {GatewayError} `INVALID` naming the bad parameter.
 */
function parseAuditQuery(q: Record<string, string>): AuditQuery {
  const since = q._since === undefined ? undefined : precisionRange(q._since)?.[0];
  if (q._since !== undefined && since === undefined) {
    throw new GatewayError('INVALID', '"_since" must be a FHIR date or instant');
  }
  const count = Number(q._count ?? '100');
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new GatewayError('INVALID', '"_count" must be an integer from 1 to 1000');
  }
  const before = q._before === undefined ? null : Number(q._before);
  if (before !== null && (!Number.isSafeInteger(before) || before < 1)) {
    throw new GatewayError('INVALID', '"_before" must be a record number');
  }

  return { patient: q.patient ?? null, since: since ?? null, before, count };
}
