import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Break-the-glass searches as it reads (every patient touched audited), never grants
// itself lasting access, and care relationships count only while they are current.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let doctor = '';
let writer = '';
const GLASS = { 'x-break-glass-reason': 'patient collapsed in the waiting room' };
const LOINC = 'http://loinc.org';
const SECRET = 'care-relationship-writer-0123456789abcdef';

async function call(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; data: Any }> {
  const res = await fetch(`${t.url}/fhir/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/fhir+json',
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();

  return { status: res.status, data: (text === '' ? {} : JSON.parse(text)) as Any };
}

// A clinician registers a patient (no one's yet), under a server id.
const newPatient = async (): Promise<string> => {
  const res = await call(doctor, 'POST', 'Patient', { resourceType: 'Patient' });
  assert.is(res.status, 201);

  return res.data.id as string;
};

const reading = (patient: string, value: number) =>
  createObservation({
    patient,
    device: { id: 'ox-9', transport: 'simulated' },
    code: 'heart-rate',
    value,
    effectiveAt: '2026-03-01T10:00:00.000Z',
  });

const auditCount = async (action: string, patientId: string) => {
  const { rows } = await t.db.query<{ n: string }>(
    'select count(*) as n from audit.events where action = $1 and patient_id = $2',
    [action, patientId],
  );

  return Number(rows[0]?.n ?? 0);
};

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  doctor = (await t.login('clinician')).access_token;
  await t.gateway.clients.register({
    id: 'care-writer',
    confidential: true,
    secret: SECRET,
    scopes: ['system/CareTeam.cruds', 'system/Encounter.cruds'],
    units: ['*'],
  });
  const res = await fetch(`${t.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`care-writer:${SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=system/CareTeam.cruds system/Encounter.cruds',
  });
  writer = ((await res.json()) as { access_token: string }).access_token;
});

test.after(async () => {
  await t.close();
});

test('search under break-the-glass finds what read finds, audited per patient', async () => {
  const p1 = await newPatient();
  const manual = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code: '29463-7' }] },
    subject: { reference: `Patient/${p1}` },
    effectiveDateTime: '2026-02-01T00:00:00Z',
  };
  assert.is((await call(doctor, 'POST', 'Observation', manual, GLASS)).status, 201);
  await t.vitals!.write({
    agentId: 'a1',
    observations: [reading(p1, 70), reading(p1, 71)],
  });

  const plain = await call(doctor, 'GET', `Observation?patient=${p1}`);
  assert.is(plain.data.total, 0, 'no care relationship, no glass: nothing');
  const before = await auditCount('break-glass', p1);
  const glass = await call(doctor, 'GET', `Observation?patient=${p1}`, undefined, GLASS);
  assert.is(glass.status, 200);
  assert.is(glass.data.total, 3, 'the manual Observation and both device readings');
  assert.ok((await auditCount('break-glass', p1)) > before);
  const { rows } = await t.db.query<{ purpose: string }>(
    `select purpose from audit.events where action = 'search' and patient_id = $1
     order by seq desc limit 1`,
    [p1],
  );
  assert.is(rows[0]?.purpose, 'BTG');
});

test('device readings alone in a break-the-glass search write the break-glass record', async () => {
  const p2 = 'btg-readings-only';
  await t.vitals!.write({ agentId: 'a1', observations: [reading(p2, 80)] });

  const glass = await call(doctor, 'GET', `Observation?patient=${p2}`, undefined, GLASS);
  assert.is(glass.data.total, 1);
  assert.is(await auditCount('break-glass', p2), 1);
});

test('break-the-glass cannot write a care relationship naming oneself', async () => {
  const p3 = await newPatient();
  const team = (member: string) => ({
    resourceType: 'CareTeam',
    status: 'active',
    subject: { reference: `Patient/${p3}` },
    participant: [{ member: { reference: `Practitioner/${member}` } }],
  });
  const encounter = {
    resourceType: 'Encounter',
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
    subject: { reference: `Patient/${p3}` },
    participant: [{ individual: { reference: 'Practitioner/demo-clinician' } }],
  };

  const self = await call(doctor, 'POST', 'CareTeam', team('demo-clinician'), GLASS);
  assert.is(self.status, 403);
  assert.is(self.data.resourceType, 'OperationOutcome');
  assert.is((await call(doctor, 'POST', 'Encounter', encounter, GLASS)).status, 403);
  assert.is((await call(doctor, 'GET', `Patient/${p3}`)).status, 403, 'no lasting access');
  const other = await call(doctor, 'POST', 'CareTeam', team('someone-else'), GLASS);
  assert.is(other.status, 201, 'a team of others is still writable in an emergency');
  const id = other.data.id as string;
  const relinked = await call(
    doctor,
    'PUT',
    `CareTeam/${id}`,
    { ...team('demo-clinician'), id },
    GLASS,
  );
  assert.is(relinked.status, 403);
});

test('care relationships count only while the CareTeam is active and the Encounter current', async () => {
  const p4 = await newPatient();
  const team = {
    resourceType: 'CareTeam',
    status: 'inactive',
    subject: { reference: `Patient/${p4}` },
    participant: [{ member: { reference: 'Practitioner/demo-clinician' } }],
  };
  const created = await call(writer, 'POST', 'CareTeam', team);
  assert.is(created.status, 201);
  assert.is((await call(doctor, 'GET', `Patient/${p4}`)).status, 403, 'inactive team');
  const id = created.data.id as string;
  await call(writer, 'PUT', `CareTeam/${id}`, { ...team, id, status: 'active' });
  assert.is((await call(doctor, 'GET', `Patient/${p4}`)).status, 200, 'active team');

  const p5 = await newPatient();
  const encounter = (status: string, end?: string) => ({
    resourceType: 'Encounter',
    status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${p5}` },
    participant: [{ individual: { reference: 'Practitioner/demo-clinician' } }],
    ...(end === undefined ? {} : { period: { start: '2019-01-01', end } }),
  });
  const old = await call(writer, 'POST', 'Encounter', encounter('finished', '2020-01-01'));
  assert.is(old.status, 201);
  assert.is((await call(doctor, 'GET', `Patient/${p5}`)).status, 403, 'finished long ago');
  const searched = await call(doctor, 'GET', `Patient?_id=${p5}`);
  assert.is(searched.data.total, 0, 'search agrees with read');
  await call(writer, 'POST', 'Encounter', encounter('cancelled'));
  assert.is((await call(doctor, 'GET', `Patient/${p5}`)).status, 403, 'cancelled');
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await call(writer, 'POST', 'Encounter', encounter('finished', yesterday));
  assert.is((await call(doctor, 'GET', `Patient/${p5}`)).status, 200, 'recently finished');
});

test.run();
