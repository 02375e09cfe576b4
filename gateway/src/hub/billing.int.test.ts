import { createObservation } from '@sparkden/protocol';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { BillingPatient } from '../billing/index.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { mountBilling, sqlDeviceDays } from './billing.js';

// The real billing routes behind the real gateway: bearer tokens, roles, ABAC and the audit
// trail, over device days counted by SQL from readings in PostgreSQL.

const P = 'billing-patient';
let t: TestGateway;

const person = {
  lastName: 'Doe',
  firstName: 'Jane',
  birthDate: '1948-02-17',
  sex: 'F' as const,
  address: { line1: '12 Elm Road', city: 'Springfield', state: 'IL', postalCode: '62702' },
};
const billingPatient: BillingPatient = {
  patientId: P,
  person,
  coverages: [{ payerId: '12345', memberId: '1EG4TE5MK73' }],
  diagnoses: ['I10'],
};

const reading = (device: string, at: string) =>
  createObservation({
    patient: P,
    device: { id: device, transport: 'simulated' },
    code: 'heart-rate',
    value: 70,
    unit: '/min',
    effectiveAt: at,
  });

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  await mountBilling({
    gateway: t.gateway,
    db: t.db,
    patients: { getBillingPatient: (id) => Promise.resolve(id === P ? billingPatient : undefined) },
    logger: pino({ level: 'silent' }),
  });
  // March 2026: days 1-15 on cuff-a, and cuff-b beside it on day 15 (two devices, one day);
  // one reading either side of the month's edges in UTC.
  const observations = [
    ...Array.from({ length: 15 }, (_, i) =>
      reading('cuff-a', `2026-03-${String(i + 1).padStart(2, '0')}T12:00:00Z`),
    ),
    reading('cuff-b', '2026-03-15T18:00:00Z'),
    reading('cuff-a', '2026-02-28T23:30:00Z'),
    reading('cuff-a', '2026-04-01T00:30:00Z'),
  ];
  await t.vitals!.write({ agentId: 'agent-1', observations });
});

test.after(async () => {
  await t.close();
});

test('sqlDeviceDays: one row per day and device; two devices on one day are one day', async () => {
  const rows = await sqlDeviceDays(t.db).deviceDays(P, '2026-03-01', '2026-03-31');
  assert.is(rows.length, 16);
  assert.equal(
    rows.filter((r) => r.day === '2026-03-15').map((r) => r.deviceId),
    ['cuff-a', 'cuff-b'],
  );
  assert.is(new Set(rows.map((r) => r.day)).size, 15);
  assert.ok(rows.every((r) => r.day >= '2026-03-01' && r.day <= '2026-03-31'));
});

test('sqlDeviceDays: month edges fall in the practice time zone', async () => {
  const utc = await sqlDeviceDays(t.db, 'UTC').deviceDays(P, '2026-02-28', '2026-04-01');
  assert.ok(utc.some((r) => r.day === '2026-02-28'));
  assert.ok(utc.some((r) => r.day === '2026-04-01'));
  // In Chicago (UTC-6 in February, UTC-5 in April) 2026-04-01T00:30Z is still March 31,
  // and 2026-03-01T12:00Z is March 1.
  const chicago = await sqlDeviceDays(t.db, 'America/Chicago').deviceDays(
    P,
    '2026-03-01',
    '2026-03-31',
  );
  const days = new Set(chicago.map((r) => r.day));
  assert.ok(days.has('2026-03-31'), 'the 00:30Z reading of April 1 is March 31 in Chicago');
  assert.ok(days.has('2026-03-01'));
  assert.is(chicago.length, 17);
  const tokyo = await sqlDeviceDays(t.db, 'Asia/Tokyo').deviceDays(P, '2026-03-01', '2026-03-31');
  assert.ok(
    tokyo.some((r) => r.day === '2026-03-01'),
    'the 23:30Z reading of Feb 28 is March 1 in Tokyo',
  );
});

test('billing routes through the real gateway: a billing clerk is allowed, a nurse denied, both audited', async () => {
  const as = async (role: 'billing' | 'nurse' | undefined) => {
    const token = role === undefined ? undefined : (await t.login(role)).access_token;
    const res = await fetch(`${t.url}/api/billing/patients/${P}/suggestions?month=2026-03`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const { rows } = await t.db.query<{
      action: string;
      outcome: string;
      actor_role: string | null;
      patient_id: string | null;
    }>(
      'select action, outcome, actor_role, patient_id from audit.events where request_id = $1 order by seq',
      [res.headers.get('x-request-id')],
    );

    return { res, audit: rows.map((r) => [r.action, r.outcome, r.actor_role, r.patient_id]) };
  };

  const { access_token } = await t.login('billing');
  const episode = await fetch(`${t.url}/api/billing/patients/${P}/episodes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'ep-1', start: '2026-03-01', end: '2026-03-30' }),
  });
  assert.is(episode.status, 201);

  const clerk = await as('billing');
  assert.is(clerk.res.status, 200);
  const result = (await clerk.res.json()) as { suggestions: { code: string }[] };
  const codes = result.suggestions.map((s) => s.code);
  assert.ok(codes.includes('99445'), '15 distinct device days from 2026: 99445');
  assert.not.ok(codes.includes('99454'), 'two devices on one day do not make a 16th day');
  assert.ok(clerk.audit.some((a) => a[1] === 'success' && a[2] === 'billing' && a[3] === P));

  const nurse = await as('nurse');
  assert.is(nurse.res.status, 403);
  assert.ok(nurse.audit.some((a) => a[1] === 'denied' && a[2] === 'nurse'));

  const anonymous = await as(undefined);
  assert.is(anonymous.res.status, 401);
  assert.equal(anonymous.audit, [['authenticate', 'failure', null, null]]);
});

test('claims are FHIR Claim resources: read and search for billing, refused to other roles, audited', async () => {
  const token = async (role: 'billing' | 'nurse' | 'clinician' | 'it-admin' | 'patient') =>
    (await t.login(role)).access_token;
  const billing = await token('billing');
  const created = await fetch(`${t.url}/api/billing/claims`, {
    method: 'POST',
    headers: { authorization: `Bearer ${billing}`, 'content-type': 'application/json' },
    body: JSON.stringify({ patientId: P, month: '2026-03', payerId: '12345' }),
  });
  assert.is(created.status, 201);
  const claimId = ((await created.json()) as { id: string }).id;
  const get = (bearer: string, path: string, init: RequestInit = {}) =>
    fetch(`${t.url}/fhir/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/fhir+json' },
    });

  const read = await get(billing, `Claim/${claimId}`);
  assert.is(read.status, 200);
  const claim = (await read.json()) as { resourceType: string; patient: { reference: string } };
  assert.is(claim.resourceType, 'Claim');
  assert.is(claim.patient.reference, `Patient/${P}`);
  const { rows } = await t.db.query<{ outcome: string; patient_id: string; purpose: string }>(
    'select outcome, patient_id, purpose from audit.events where request_id = $1',
    [read.headers.get('x-request-id')],
  );
  assert.equal(rows, [{ outcome: 'success', patient_id: P, purpose: 'HPAYMT' }]);

  const search = (await (await get(billing, `Claim?patient=${P}`)).json()) as {
    total: number;
    entry: { resource: { id: string } }[];
  };
  assert.is(search.total, 1);
  assert.is(search.entry[0]?.resource.id, claimId);
  assert.is((await get(billing, 'Claim/SD-0000-000000')).status, 404);
  assert.is(
    (await get(billing, `ClaimResponse/${claimId}-response`)).status,
    404,
    'no remittance yet: no ClaimResponse',
  );
  const counted = await get(billing, `ExplanationOfBenefit?patient=${P}&_summary=count`);
  assert.is(((await counted.json()) as { total: number }).total, 0);
  const put = await get(billing, `Claim/${claimId}`, {
    method: 'PUT',
    body: JSON.stringify(claim),
  });
  assert.is(put.status, 405, 'read-only');

  for (const role of ['nurse', 'clinician', 'it-admin', 'patient'] as const) {
    const res = await get(await token(role), `Claim/${claimId}`);
    assert.is(res.status, 403, role);
    const audit = await t.db.query<{ outcome: string }>(
      'select outcome from audit.events where request_id = $1',
      [res.headers.get('x-request-id')],
    );
    assert.equal(audit.rows, [{ outcome: 'denied' }], role);
  }

  const metadata = (await (await fetch(`${t.url}/fhir/metadata`)).json()) as {
    rest: { resource: { type: string; interaction: { code: string }[] }[] }[];
  };
  const types = metadata.rest[0].resource;
  for (const type of ['Claim', 'ClaimResponse', 'ExplanationOfBenefit']) {
    assert.equal(
      types.find((r) => r.type === type)?.interaction.map((i) => i.code),
      ['read', 'search-type'],
      type,
    );
  }
});

test.run();
