import { createAlertRoutes, createFleetRoutes } from '@sparkden/alerting';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { RESOURCE_TYPES, type ResourceType } from '../fhir/resource-types.js';
import { mountBilling } from '../hub/billing.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import type { Role } from './principal.js';

// The authorization matrix, generated: every served FHIR type × every role (search and an
// absent-instance read, own and other patient), and the real /api routers (billing,
// alerting, fleet) × every role × own/other patient. Each decision must leave an audit record. The expectations are written
// out below by hand, from the role table of the issue, not derived from the code under test.

const ROLES: Role[] = ['patient', 'clinician', 'nurse', 'billing', 'it-admin', 'system'];
const OWN = 'demo-patient-1';
const OTHER = 'matrix-other';

const DIRECTORY = ['Practitioner', 'PractitionerRole', 'Organization', 'Location'];
const FINANCIAL = ['Claim', 'ClaimResponse', 'ExplanationOfBenefit'];
const BILLING_CLINICAL = ['Patient', 'Coverage', 'Encounter', 'Appointment', 'Condition'];

/** Which roles may search a type at all (the patient half is checked by the main matrix). */
function searchers(type: string): Role[] {
  if (type === 'Group') {
    return ['it-admin', 'system'];
  }
  if (FINANCIAL.includes(type)) {
    return ['billing', 'system'];
  }
  if (DIRECTORY.includes(type)) {
    return ROLES;
  }
  const billing: Role[] = BILLING_CLINICAL.includes(type) ? ['billing'] : [];
  const admin: Role[] = type === 'Device' ? ['it-admin'] : [];

  return ['patient', 'clinician', 'nurse', 'system', ...billing, ...admin];
}

/**
 * Which roles may learn that an instance is absent (404) rather than get 403: those who
 * may read the type for every patient (billing, a system client of every unit, it-admin on
 * its patient-free types), and everyone on directory types.
 */
function seeAbsence(type: string): Role[] {
  const may = searchers(type);
  const everyPatient: Role[] = ['billing', 'system', 'it-admin'];

  return DIRECTORY.includes(type) ? may : may.filter((r) => everyPatient.includes(r));
}

const COMPARTMENT: Partial<Record<string, string>> = { Patient: '_id', Appointment: 'patient' };
const searchPath = (type: string, patient: string) => {
  if (DIRECTORY.includes(type) || type === 'Group') {
    return `/fhir/${type}`;
  }

  return `/fhir/${type}?${COMPARTMENT[type] ?? 'patient'}=${patient}`;
};

let t: TestGateway;

test.before(async () => {
  t = await startTestGateway();
  await mountBilling({
    gateway: t.gateway,
    db: t.db,
    patients: { getBillingPatient: () => Promise.resolve(undefined) },
    logger: pino({ level: 'silent' }),
  });
  // The real alerting and fleet routers, over stand-in engines that hold nothing: only the
  // routers' authorization wiring through the gateway is under test here.
  const empty = async () => [];
  const engine = { unitOf: () => undefined, rules: { overrides: empty } };
  t.gateway.mount(
    '/api/alerting',
    createAlertRoutes({
      engine: engine as never,
      authorize: (c, action, scope) => t.gateway.authorize(c, `alerts.${action}`, scope),
    }),
  );
  t.gateway.mount(
    '/api/fleet',
    createFleetRoutes({
      fleet: { listAgents: empty } as never,
      authorize: (c, action) => t.gateway.authorize(c, `fleet.${action}`),
      mqttUrl: 'mqtt://127.0.0.1:1883',
    }),
  );
  await t.gateway.setPatientUnit(OTHER, 'ward-2');
});

test.after(async () => {
  await t.close();
});

async function call(role: Role, method: string, path: string, body?: unknown) {
  const { access_token } = await t.login(role);
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const { rows } = await t.db.query<{ outcome: string }>(
    'select outcome from audit.events where request_id = $1',
    [res.headers.get('x-request-id')],
  );

  return { status: res.status, outcomes: rows.map((r) => r.outcome) };
}

test('every served FHIR type × role: search allowed or denied as specified, and audited', async () => {
  const served = RESOURCE_TYPES as readonly ResourceType[];
  assert.ok(served.length >= 24, 'the generated rows cover every served type');
  const wrong: string[] = [];
  for (const type of served) {
    for (const role of ROLES) {
      for (const [which, patient] of [
        ['own', OWN],
        ['other', OTHER],
      ] as const) {
        const { status, outcomes } = await call(role, 'GET', searchPath(type, patient));
        const expected = searchers(type).includes(role) ? 200 : 403;
        const outcome = expected === 200 ? 'success' : 'denied';
        if (status !== expected || !outcomes.includes(outcome)) {
          wrong.push(`search ${type} as ${role} (${which}): ${status} [${outcomes.join()}]`);
        }
      }
    }
  }
  assert.equal(wrong, []);
});

test('every served FHIR type × role: an absent instance answers 404 only to who may see all', async () => {
  const wrong: string[] = [];
  for (const type of RESOURCE_TYPES) {
    for (const role of ROLES) {
      const { status, outcomes } = await call(role, 'GET', `/fhir/${type}/absent-1`);
      const expected = seeAbsence(type).includes(role) ? 404 : 403;
      const outcome = expected === 404 ? 'failure' : 'denied';
      if (status !== expected || !outcomes.includes(outcome)) {
        wrong.push(`read absent ${type} as ${role}: ${status} [${outcomes.join()}]`);
      }
    }
  }
  assert.equal(wrong, []);
});

interface ApiRoute {
  name: string;
  request: (patient: string, n: number) => { method: string; path: string; body?: unknown };
  own: Role[];
  other: Role[];
}

const minutes = (n: number) => ({
  id: `m-${n}`,
  clinicianId: 'demo-practitioner-1',
  occurredAt: '2026-03-02T10:00:00Z',
  day: '2026-03-02',
  minutes: 5,
  kind: 'audio',
  interactionEvidence: 'call log',
});

// The real billing router: reads for billing (every patient) and system (every unit); the
// ledger for care staff on their own patients, billing on any; system tokens hold
// system/*.read, so their scopes refuse a ledger write whatever the role allows.
const API: ApiRoute[] = [
  {
    name: 'billing minutes list',
    request: (p) => ({ method: 'GET', path: `/api/billing/patients/${p}/minutes?month=2026-03` }),
    own: ['clinician', 'nurse', 'billing', 'system'],
    other: ['billing', 'system'],
  },
  {
    name: 'billing claims list',
    request: (p) => ({ method: 'GET', path: `/api/billing/claims?patientId=${p}` }),
    own: ['billing', 'system'],
    other: ['billing', 'system'],
  },
  {
    name: 'billing ledger write',
    request: (p, n) => ({
      method: 'POST',
      path: `/api/billing/patients/${p}/minutes`,
      body: minutes(n),
    }),
    own: ['clinician', 'nurse', 'billing'],
    other: ['billing'],
  },
  {
    name: "alerting: a patient's rule overrides",
    request: (p) => ({ method: 'GET', path: `/api/alerting/patients/${p}/overrides` }),
    own: ['clinician', 'nurse', 'system'],
    other: ['system'],
  },
  {
    name: 'fleet: list agents',
    request: () => ({ method: 'GET', path: '/api/fleet/agents' }),
    own: ['it-admin', 'system'],
    other: ['it-admin', 'system'],
  },
];

test('the real billing, alerting and fleet routers × role × own/other patient, each decision audited', async () => {
  const wrong: string[] = [];
  let n = 0;
  for (const route of API) {
    for (const role of ROLES) {
      for (const [which, patient] of [
        ['own', OWN],
        ['other', OTHER],
      ] as const) {
        n += 1;
        const { method, path, body } = route.request(patient, n);
        const { status, outcomes } = await call(role, method, path, body);
        const allowed = status >= 200 && status < 300;
        const expected = route[which].includes(role);
        const outcome = expected ? 'success' : 'denied';
        if (allowed !== expected || !outcomes.includes(outcome)) {
          wrong.push(`${route.name} as ${role} (${which}): ${status} [${outcomes.join()}]`);
        }
      }
    }
  }
  assert.equal(wrong, []);
  assert.ok((await t.gateway.verifyAuditChain()).ok);
});

test.run();
