import type { Context } from 'hono';

import type { Authenticate } from '../auth/authenticate.js';
import { allowedContexts } from '../auth/scopes.js';
import type { AuditFn } from '../audit/trail.js';
import { GatewayError } from '../errors.js';
import { authenticateRequest } from '../http/bearer.js';
import type { GatewayEnv } from '../http/env.js';
import type { AccessPolicy } from './policy.js';
import type { Caller, Role } from './principal.js';

const MONITORING: Record<'read' | 'write', readonly Role[]> = {
  read: ['nurse', 'clinician', 'system'],
  write: ['nurse', 'clinician'],
};

/**
 * Which roles may perform each action of the parts mounted beside the FHIR API, by area
 * and by `read` or `write` (or a verb listed on its own, like `visits:join`).
 */
export const ACTION_ROLES: Record<string, readonly Role[]> = {
  'alerts:read': MONITORING.read,
  'alerts:write': MONITORING.write,
  'rules:read': MONITORING.read,
  'rules:write': ['clinician'],
  'profiles:read': MONITORING.read,
  'profiles:write': ['clinician'],
  'overrides:read': MONITORING.read,
  'overrides:write': ['clinician'],
  'reports:read': [...MONITORING.read, 'billing'],
  'units:read': MONITORING.read,
  'units:write': ['nurse', 'clinician', 'system'],
  'devices:read': [...MONITORING.read, 'it-admin'],
  'devices:write': ['nurse', 'clinician', 'it-admin'],
  'vitals:read': ['patient', 'nurse', 'clinician', 'system'],
  'fleet:read': ['it-admin', 'system'],
  'fleet:write': ['it-admin'],
  'billing:read': ['billing', 'system'],
  'billing:write': ['billing'],
  // The RPM treatment-minutes ledger: care staff record and read minutes for their patients.
  'billing:ledger': ['clinician', 'nurse', 'billing', 'system'],
  'billing:minutes': ['clinician', 'nurse', 'billing', 'system'],
  'visits:join': ['patient', 'nurse', 'clinician'],
  'visits:read': ['patient', 'nurse', 'clinician'],
  'visits:write': ['nurse', 'clinician'],
  'audit:read': ['it-admin'],
};

const READ_VERBS = new Set(['read', 'list', 'get', 'view', 'watch', 'subscribe']);

/**
 * The roles for an action written any of the ways the hub's parts write them:
 * `alerts.read`, `fleet:agents:revoke`, `fleet.fleet:tokens:create`. The area is the first
 * known segment; the verb is the last segment, read-like verbs mapping to `read`, others
 * to `write`.
 */
export function rolesForAction(
  action: string,
  table: Record<string, readonly Role[]>,
): readonly Role[] | undefined {
  const segments = action.split(/[.:]/).filter(Boolean);
  const areas = new Set(Object.keys(table).map((k) => k.split(':')[0]));
  const area = segments.find((segment) => areas.has(segment));
  const verb = segments.at(-1);
  if (area === undefined || verb === undefined) {
    return table[action];
  }

  return table[`${area}:${verb}`] ?? table[`${area}:${READ_VERBS.has(verb) ? 'read' : 'write'}`];
}

// Actions that only read, though their verb does not say so.
const READ_ACTIONS = new Set(['billing:minutes', 'visits:join']);

/** Whether an action (written any way {@link rolesForAction} accepts) only reads. */
export function isReadAction(action: string): boolean {
  const segments = action.split(/[.:]/).filter(Boolean);
  const verb = segments.at(-1) ?? '';
  const pairs = segments.slice(0, -1).map((area) => `${area}:${verb}`);

  return READ_VERBS.has(verb) || pairs.some((pair) => READ_ACTIONS.has(pair));
}

/**
 * Whether a token's SMART scopes cover an action of the routers beside the FHIR API. Those
 * routers span every resource type, so only a wildcard scope counts: `user/*` or
 * `system/*` with `r` (reads) or `u` (anything else), or `patient/*` for the token's own
 * patient. The built-in IdP's own logins carry `user/*.cruds` (staff) or `patient/*.cruds`
 * (a patient); an app granted `patient/*.read` or `user/Observation.rs` gets no more
 * here than those scopes say, whatever its user's role.
 */
export function scopesAllowAction(
  caller: Caller,
  action: string,
  target: AuthorizeTarget = {},
): boolean {
  const letter = isReadAction(action) ? 'r' : 'u';
  const contexts = allowedContexts(caller.scopes, '*', letter);
  if (contexts.includes('user') || contexts.includes('system')) {
    return true;
  }
  const own = caller.patientId !== undefined && caller.role === 'patient';

  return (
    contexts.includes('patient') &&
    own &&
    (target.patientId === undefined || target.patientId === caller.patientId)
  );
}

/** The target of an authorization: a patient, a care unit, or neither. */
export interface AuthorizeTarget {
  patientId?: string | undefined;
  unit?: string | undefined;
}

/** The function sub-apps call to authorize one action. */
export type Authorize = (c: Context, action: string, target?: AuthorizeTarget) => Promise<Caller>;

/**
 * Builds `authorize(c, action, { patientId?, unit? })` for routers mounted beside the FHIR
 * API: it authenticates the bearer token (unless a caller is already set; a failure is
 * audited), checks the token's SMART scopes ({@link scopesAllowAction}), the action's
 * roles, then the patient (same ABAC as FHIR) and the unit. Every decision is audited,
 * allowed or denied.
 *
 * @example
 * ```ts
 * const caller = await gateway.authorize(c, 'alerts:write', { unit: 'ward-3' });
 * ```
 */
export function createAuthorize(deps: {
  authenticate: Authenticate;
  policy: AccessPolicy;
  audit: AuditFn;
  actions?: Record<string, readonly Role[]> | undefined;
}): Authorize {
  const actions = { ...ACTION_ROLES, ...(deps.actions ?? {}) };

  return async (c, action, target = {}) => {
    const roles = rolesForAction(action, actions);
    if (roles === undefined) {
      throw new TypeError(`"action" is not a known action: ${action}`);
    }
    const ctx = c as Context<GatewayEnv>;
    const caller =
      (ctx.get('caller') as Caller | undefined) ??
      (await authenticateRequest(c, deps.authenticate, deps.audit));
    const record = (outcome: 'success' | 'denied') =>
      deps.audit({
        action,
        actor: { sub: caller.sub, role: caller.role },
        patientId: target.patientId,
        outcome,
        source: ctx.get('clientAddress'),
        requestId: ctx.get('requestId'),
        ...(target.unit === undefined ? {} : { detail: { unit: target.unit } }),
      });

    try {
      if (!scopesAllowAction(caller, action, target)) {
        throw new GatewayError('FORBIDDEN', `the token's scopes do not allow ${action}`);
      }
      if (!roles.includes(caller.role)) {
        throw new GatewayError('FORBIDDEN', `role ${caller.role} may not ${action}`);
      }
      if (target.patientId !== undefined) {
        await deps.policy.checkPatient(caller, target.patientId);
      }
      const units = target.unit === undefined ? [] : await deps.policy.unitsOf(caller);
      if (target.unit !== undefined && !units.includes('*') && !units.includes(target.unit)) {
        throw new GatewayError('FORBIDDEN', 'unit not covered');
      }
    } catch (error) {
      await record('denied');
      throw error;
    }
    // Every decision leaves a record, allowed or not, with or without a patient.
    await record('success');

    return caller;
  };
}
