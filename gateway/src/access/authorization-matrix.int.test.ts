import { createHash, randomBytes } from 'node:crypto';

import { Hono } from 'hono';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Role } from './principal.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Every route × every role × own/other patient → allow or deny, and an audit record for each.
// "Own" is the patient each role is entitled to: the patient's own record, the clinician's
// care-team patient, the nurse's unit patient. "Other" is a patient in another unit with no
// care relationship.

const ROLES: Role[] = ['patient', 'clinician', 'nurse', 'billing', 'it-admin', 'system'];
const OWN = 'demo-patient-1';
const OTHER = 'other-patient';

type Expect = Record<Role, boolean>;
const allow = (...roles: Role[]): Expect =>
  Object.fromEntries(ROLES.map((r) => [r, roles.includes(r)])) as Expect;

interface Route {
  name: string;
  request: (
    p: string,
    ids: Ids,
  ) => { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  own: Expect;
  other: Expect;
  /** A search answers 200 with nothing for an outsider: allowed means "found something". */
  search?: boolean;
}

interface Ids {
  group: string;
  observation: Record<string, string>;
  coverage: Record<string, string>;
  fresh: () => Promise<string>;
  freshFor: Record<string, string>;
}

const observation = (p: string) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: `Patient/${p}` },
  effectiveDateTime: '2026-03-01T08:00:00Z',
  valueQuantity: { value: 64, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

const ROUTES: Route[] = [
  {
    name: 'read Patient',
    request: (p) => ({ method: 'GET', path: `/fhir/Patient/${p}` }),
    own: allow('patient', 'clinician', 'nurse', 'billing', 'system'),
    other: allow('billing', 'system'),
  },
  {
    name: 'history Patient',
    request: (p) => ({ method: 'GET', path: `/fhir/Patient/${p}/_history` }),
    own: allow('patient', 'clinician', 'nurse', 'billing', 'system'),
    other: allow('billing', 'system'),
  },
  {
    name: 'search Patient',
    search: true,
    request: (p) => ({ method: 'GET', path: `/fhir/Patient?_id=${p}` }),
    own: allow('patient', 'clinician', 'nurse', 'billing', 'system'),
    other: allow('billing', 'system'),
  },
  {
    name: 'read Observation',
    request: (p, ids) => ({ method: 'GET', path: `/fhir/Observation/${ids.observation[p]}` }),
    own: allow('patient', 'clinician', 'nurse', 'system'),
    other: allow('system'),
  },
  {
    name: 'vread Observation',
    request: (p, ids) => ({
      method: 'GET',
      path: `/fhir/Observation/${ids.observation[p]}/_history/1`,
    }),
    own: allow('patient', 'clinician', 'nurse', 'system'),
    other: allow('system'),
  },
  {
    name: 'search Observation',
    search: true,
    request: (p) => ({ method: 'GET', path: `/fhir/Observation?patient=${p}` }),
    own: allow('patient', 'clinician', 'nurse', 'system'),
    other: allow('system'),
  },
  {
    name: 'POST _search Observation',
    search: true,
    request: (p) => ({
      method: 'POST',
      path: '/fhir/Observation/_search',
      body: `subject=Patient/${p}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
    own: allow('patient', 'clinician', 'nurse', 'system'),
    other: allow('system'),
  },
  {
    name: '$lastn',
    search: true,
    request: (p) => ({ method: 'GET', path: `/fhir/Observation/$lastn?patient=${p}` }),
    own: allow('patient', 'clinician', 'nurse', 'system'),
    other: allow('system'),
  },
  {
    name: 'create Observation',
    request: (p) => ({ method: 'POST', path: '/fhir/Observation', body: observation(p) }),
    own: allow('patient', 'clinician', 'nurse'),
    other: allow(),
  },
  {
    name: 'update Observation',
    request: (p, ids) => ({
      method: 'PUT',
      path: `/fhir/Observation/${ids.observation[p]}`,
      body: { ...observation(p), id: ids.observation[p] },
    }),
    own: allow('clinician', 'nurse'),
    other: allow(),
  },
  {
    name: 'patch Observation',
    request: (p, ids) => ({
      method: 'PATCH',
      path: `/fhir/Observation/${ids.observation[p]}`,
      body: [{ op: 'replace', path: '/status', value: 'amended' }],
      headers: { 'content-type': 'application/json-patch+json' },
    }),
    own: allow('clinician', 'nurse'),
    other: allow(),
  },
  {
    name: 'delete Observation',
    request: (p, ids) => ({ method: 'DELETE', path: `/fhir/Observation/${ids.freshFor[p]}` }),
    own: allow('clinician', 'nurse'),
    other: allow(),
  },
  {
    name: 'read Coverage',
    request: (p, ids) => ({ method: 'GET', path: `/fhir/Coverage/${ids.coverage[p]}` }),
    own: allow('patient', 'clinician', 'nurse', 'billing', 'system'),
    other: allow('billing', 'system'),
  },
  {
    name: 'read Location (directory)',
    request: () => ({ method: 'GET', path: '/fhir/Location/ward-1' }),
    own: allow(...ROLES),
    other: allow(...ROLES),
  },
  {
    name: 'create Location (directory)',
    request: () => ({
      method: 'POST',
      path: '/fhir/Location',
      body: { resourceType: 'Location', name: 'Ward 9' },
    }),
    own: allow('it-admin'),
    other: allow('it-admin'),
  },
  {
    name: 'read audit trail',
    request: (p) => ({ method: 'GET', path: `/audit/AuditEvent?patient=${p}&_count=1` }),
    own: allow('it-admin'),
    other: allow('it-admin'),
  },
  {
    name: 'read Group (member list)',
    request: (_p, ids) => ({ method: 'GET', path: `/fhir/Group/${ids.group}` }),
    own: allow('it-admin', 'system'),
    other: allow('it-admin', 'system'),
  },
  {
    name: 'search Group',
    search: true,
    request: () => ({ method: 'GET', path: '/fhir/Group' }),
    own: allow('it-admin', 'system'),
    other: allow('it-admin', 'system'),
  },
  {
    name: 'Group $export',
    request: (_p, ids) => ({
      method: 'GET',
      path: `/fhir/Group/${ids.group}/$export?_type=Observation`,
      headers: { prefer: 'respond-async' },
    }),
    own: allow('system'),
    other: allow('system'),
  },
  {
    name: 'verify audit chain',
    request: () => ({ method: 'GET', path: '/audit/verify' }),
    own: allow('it-admin'),
    other: allow('it-admin'),
  },
  {
    name: 'bulk $export',
    request: () => ({
      method: 'GET',
      path: '/fhir/Patient/$export?_type=Patient',
      headers: { prefer: 'respond-async' },
    }),
    own: allow('system'),
    other: allow('system'),
  },
];

let t: TestGateway;
const ids: Ids = {
  group: '',
  observation: {},
  coverage: {},
  fresh: () => Promise.resolve(''),
  freshFor: {},
};

async function call(token: string, req: ReturnType<Route['request']>) {
  const body =
    req.body === undefined
      ? undefined
      : typeof req.body === 'string'
        ? req.body
        : JSON.stringify(req.body);
  return fetch(`${t.url}${req.path}`, {
    method: req.method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
      ...(req.headers ?? {}),
    },
    body,
  });
}

async function create(
  role: Role,
  resource: Record<string, unknown>,
  breakGlass = false,
): Promise<string> {
  const { access_token } = await t.login(role);
  const headers: Record<string, string> = breakGlass
    ? { 'x-break-glass-reason': 'test setup for another unit' }
    : {};
  const res = await call(access_token, {
    method: 'POST',
    path: `/fhir/${String(resource.resourceType)}`,
    body: resource,
    headers,
  });
  assert.is(res.status, 201, `setup: ${role} creates ${String(resource.resourceType)}`);

  return ((await res.json()) as { id: string }).id;
}

test.before(async () => {
  t = await startTestGateway();
  // Routers mount before the first request, as the hub does.
  const sub = new Hono();
  sub.get('/alerts/:unit', async (c) => {
    const caller = await t.gateway.authorize(c, 'alerts.read', { unit: c.req.param('unit') });

    return c.json({ sub: caller.sub });
  });
  sub.post('/agents/revoke', async (c) =>
    c.json(await t.gateway.authorize(c, 'fleet:agents:revoke')),
  );
  sub.get('/claims/:patient', async (c) =>
    c.json(await t.gateway.authorize(c, 'billing:read', { patientId: c.req.param('patient') })),
  );
  sub.get('/vitals/:patient', async (c) =>
    c.json(await t.gateway.authorize(c, 'vitals:read', { patientId: c.req.param('patient') })),
  );
  t.gateway.mount('/api/test', sub);
  const clinician = await t.login('clinician');
  const put = await call(clinician.access_token, {
    method: 'PUT',
    path: `/fhir/Patient/${OTHER}`,
    body: { resourceType: 'Patient', id: OTHER, name: [{ family: 'Other' }] },
    headers: { 'x-break-glass-reason': 'test setup for another unit' },
  });
  assert.is(put.status, 201);
  await t.gateway.setPatientUnit(OTHER, 'ward-2');
  for (const p of [OWN, OTHER]) {
    ids.observation[p] = await create('clinician', observation(p), p === OTHER);
    const coverage = {
      resourceType: 'Coverage',
      status: 'active',
      beneficiary: { reference: `Patient/${p}` },
      payor: [{ display: 'Demo payer' }],
    };
    ids.coverage[p] = await create('billing', coverage);
  }
  ids.group = await create('it-admin', {
    resourceType: 'Group',
    type: 'person',
    actual: true,
    member: [OWN, OTHER].map((p) => ({ entity: { reference: `Patient/${p}` } })),
  });
});

test.after(async () => {
  await t.close();
});

test('every route × role × own/other patient is allowed or denied as specified, and audited', async () => {
  const mismatches: string[] = [];
  const unaudited: string[] = [];
  for (const route of ROUTES) {
    for (const role of ROLES) {
      for (const [which, patient] of [
        ['own', OWN],
        ['other', OTHER],
      ] as const) {
        if (route.name.startsWith('delete')) {
          ids.freshFor[patient] = await create(
            'clinician',
            observation(patient),
            patient === OTHER,
          );
        }
        const { access_token } = await t.login(role);
        const res = await call(access_token, route.request(patient, ids));
        let allowed = res.status >= 200 && res.status < 300;
        const body =
          res.status === 200 && route.search === true
            ? ((await res.json()) as { total?: number; entry?: unknown[] })
            : undefined;
        if (body !== undefined) {
          allowed = (body.entry?.length ?? 0) > 0;
        }
        if (allowed !== route[which][role]) {
          mismatches.push(
            `${route.name} as ${role} on ${which}: expected ${route[which][role] ? 'allow' : 'deny'}, got ${res.status}`,
          );
        }
        const requestId = res.headers.get('x-request-id');
        const { rows } = await t.db.query<{ outcome: string }>(
          'select outcome from audit.events where request_id = $1',
          [requestId],
        );
        const expected = res.status === 403 ? 'denied' : 'success';
        if (!rows.some((r) => r.outcome === expected)) {
          unaudited.push(
            `${route.name} as ${role} on ${which} (${res.status}): no ${expected} audit record`,
          );
        }
      }
    }
  }
  assert.equal(mismatches, []);
  assert.equal(unaudited, []);
});

test('break-the-glass lets a clinician in, with purpose BTG and the reason audited; others cannot', async () => {
  const clinician = await t.login('clinician');
  const path = { method: 'GET', path: `/fhir/Observation/${ids.observation[OTHER]}` };
  assert.is((await call(clinician.access_token, path)).status, 403);
  const glass = await call(clinician.access_token, {
    ...path,
    headers: { 'x-break-glass-reason': 'patient collapsed in corridor' },
  });
  assert.is(glass.status, 200);
  const { rows } = await t.db.query<{
    action: string;
    purpose: string;
    detail: { reason?: string };
  }>('select action, purpose, detail from audit.events where request_id = $1 order by seq', [
    glass.headers.get('x-request-id'),
  ]);
  assert.equal(
    rows.map((r) => `${r.action}/${r.purpose}`),
    ['break-glass/BTG', 'read/BTG'],
  );
  assert.is(rows[0]?.detail.reason, 'patient collapsed in corridor');
  const nurse = await t.login('nurse');
  const refused = await call(nurse.access_token, {
    ...path,
    headers: { 'x-break-glass-reason': 'patient collapsed in corridor' },
  });
  assert.is(refused.status, 403);
});

test('authorize() guards mounted routers: roles per action, units, patients; denials audited', async () => {
  const as = async (role: Role, method: string, path: string) => {
    const { access_token } = await t.login(role);

    return (
      await fetch(`${t.url}/api/test${path}`, {
        method,
        headers: { authorization: `Bearer ${access_token}` },
      })
    ).status;
  };

  assert.is(await as('nurse', 'GET', '/alerts/ward-1'), 200);
  assert.is(await as('nurse', 'GET', '/alerts/ward-2'), 403);
  assert.is(await as('billing', 'GET', '/alerts/ward-1'), 403);
  assert.is(
    await as('system', 'GET', '/alerts/ward-2'),
    200,
    'the demo system client covers every unit',
  );
  assert.is(await as('it-admin', 'POST', '/agents/revoke'), 200);
  assert.is(await as('nurse', 'POST', '/agents/revoke'), 403);
  assert.is(await as('billing', 'GET', `/claims/${OTHER}`), 200);
  assert.is(await as('patient', 'GET', `/claims/${OWN}`), 403);
  assert.is((await fetch(`${t.url}/api/test/alerts/ward-1`)).status, 401);
  const { rows } = await t.db.query(
    `select 1 from audit.events where action = 'fleet:agents:revoke' and outcome = 'denied'`,
  );
  assert.is(rows.length, 1);
});

async function appToken(scope: string): Promise<string> {
  const redirect = 'http://127.0.0.1:9/cb';
  const clientId = `app-${scope.replace(/[^a-z]/gi, '')}`;
  await t.gateway.clients.register({
    id: clientId,
    confidential: false,
    redirectUris: [redirect],
    scopes: [scope],
  });
  const verifier = randomBytes(32).toString('base64url');
  const patient = t.demo.find((d) => d.role === 'patient')!;
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
    redirect: 'manual' as const,
  });
  const authorized = await fetch(
    `${t.url}/oauth2/authorize`,
    form({
      aud: `${t.url}/fhir`,
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      scope,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      username: patient.username,
      password: patient.password,
    }),
  );
  const code = new URL(authorized.headers.get('location')!).searchParams.get('code')!;
  const tokens = await fetch(
    `${t.url}/oauth2/token`,
    form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      client_id: clientId,
      code_verifier: verifier,
    }),
  );

  return ((await tokens.json()) as { access_token: string }).access_token;
}

test('SMART scopes bind app tokens on /api too: a type-limited app gets no more than its scope', async () => {
  const get = async (token: string, path: string) => {
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const { rows } = await t.db.query<{ outcome: string }>(
      'select outcome from audit.events where request_id = $1',
      [res.headers.get('x-request-id')],
    );

    return [res.status, rows.map((r) => r.outcome).join()];
  };
  const firstParty = (await t.login('patient')).access_token;
  const narrow = await appToken('patient/Observation.rs');
  const wide = await appToken('patient/*.read');

  assert.equal(await get(firstParty, `/api/test/vitals/${OWN}`), [200, 'success']);
  assert.equal(await get(wide, `/api/test/vitals/${OWN}`), [200, 'success']);
  assert.equal(await get(wide, `/api/test/vitals/${OTHER}`), [403, 'denied']);
  assert.equal(
    await get(narrow, `/api/test/vitals/${OWN}`),
    [403, 'denied'],
    'patient/Observation.rs does not reach the /api routers',
  );
  assert.is((await get(narrow, `/fhir/Observation/${ids.observation[OWN]}`))[0], 200);
});

test('a deleted resource answers 410 only to who may see it; an outsider gets the 403 of any other', async () => {
  const statusOf = async (role: Role, id: string) => {
    const { access_token } = await t.login(role);
    const res = await call(access_token, { method: 'GET', path: `/fhir/Observation/${id}` });
    const { rows } = await t.db.query<{ outcome: string; detail: { code?: string } }>(
      'select outcome, detail from audit.events where request_id = $1',
      [res.headers.get('x-request-id')],
    );

    return `${res.status} ${rows.map((r) => `${r.outcome}${r.detail.code ? `:${r.detail.code}` : ''}`).join()}`;
  };
  const own = await create('clinician', observation(OWN));
  const other = await create('clinician', observation(OTHER), true);
  const clinician = await t.login('clinician');
  for (const id of [own, other]) {
    const res = await call(clinician.access_token, {
      method: 'DELETE',
      path: `/fhir/Observation/${id}`,
      headers: id === other ? { 'x-break-glass-reason': 'test setup for another unit' } : {},
    });
    assert.is(res.status, 204);
  }

  assert.is(await statusOf('patient', own), '410 failure:GONE');
  assert.is(await statusOf('nurse', own), '410 failure:GONE');
  assert.is(await statusOf('patient', other), '403 denied', 'no sign that it ever existed');
  assert.is(await statusOf('nurse', other), '403 denied');
  assert.is(await statusOf('system', other), '410 failure:GONE');
});

test('the whole run left a verifiable chain', async () => {
  const report = await t.gateway.verifyAuditChain();
  assert.ok(report.ok);
  assert.ok(report.checked > ROUTES.length * ROLES.length * 2);
});

test.run();
