import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Device readings through the FHIR API: read-only, off-scale values as comparators,
// `_include` from their own references; and writes checked against required bindings.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let token = '';
const P = 'demo-patient-1';
let high = '';
let low = '';

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.url}/fhir/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();

  return { status: res.status, data: (text === '' ? {} : JSON.parse(text)) as Any };
}

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  const meter = { id: 'gl-1', transport: 'simulated' as const };
  const readings = (['>', '<'] as const).map((flag, i) =>
    createObservation({
      patient: P,
      device: meter,
      code: 'glucose',
      value: flag === '>' ? 600 : 20,
      unit: 'mg/dL',
      interpretation: [flag],
      effectiveAt: new Date(Date.parse('2026-02-01T08:00:00Z') + i * 60_000).toISOString(),
    }),
  );
  await t.vitals!.write({ agentId: 'agent-1', observations: readings });
  high = `vs-${readings[0]?.id ?? ''}`;
  low = `vs-${readings[1]?.id ?? ''}`;
  token = (await t.login('clinician')).access_token;
});

test.after(async () => {
  await t.close();
});

test('a glucose reading past the meter range maps to a comparator, never a bare number', async () => {
  const above = (await call('GET', `Observation/${high}`)).data;
  assert.equal(above.valueQuantity.comparator, '>');
  assert.is(above.valueQuantity.value, 600);
  assert.is(above.interpretation[0].coding[0].code, '>');
  const below = (await call('GET', `Observation/${low}`)).data;
  assert.equal(below.valueQuantity.comparator, '<');
});

test('PUT, PATCH and DELETE on a device reading are refused and leave it as it was', async () => {
  const before = (await call('GET', `Observation/${high}`)).data;

  const put = await call('PUT', `Observation/${high}`, { ...before, status: 'amended' });
  assert.is(put.status, 405);
  assert.is(put.data.resourceType, 'OperationOutcome');
  assert.match(put.data.issue[0].diagnostics, 'device reading');
  const patch = await call('PATCH', `Observation/${high}`, [
    { op: 'replace', path: '/status', value: 'amended' },
  ]);
  assert.is(patch.status, 405);
  assert.is((await call('DELETE', `Observation/${high}`)).status, 405);

  const after = await call('GET', `Observation/${high}`);
  assert.is(after.status, 200);
  assert.is(after.data.status, before.status);
  const shadow = await t.db.query('select 1 from clinical.resources where id = $1', [high]);
  assert.is(shadow.rows.length, 0, 'no hidden stored copy');
});

test('_include follows a device reading’s own patient reference', async () => {
  const bundle = (
    await call('GET', `Observation?patient=${P}&code=2339-0&_include=Observation:patient`)
  ).data;
  const modes = (bundle.entry as Any[]).map((e) => `${e.search.mode}:${e.resource.resourceType}`);

  assert.ok(modes.includes('match:Observation'));
  assert.ok(modes.includes(`include:Patient`));
  const included = (bundle.entry as Any[]).find((e) => e.search.mode === 'include');
  assert.is(included?.resource.id, P);
});

test('a write with a code outside a required value set is a 422 OperationOutcome', async () => {
  const patient = await call('POST', 'Patient', { resourceType: 'Patient', gender: 'xyz' });
  assert.is(patient.status, 422);
  assert.is(patient.data.resourceType, 'OperationOutcome');
  assert.equal(patient.data.issue[0].expression, ['Patient.gender']);
  const observation = await call('POST', 'Observation', {
    resourceType: 'Observation',
    status: 'bogus',
    code: { text: 'Weight' },
    subject: { reference: `Patient/${P}` },
  });
  assert.is(observation.status, 422);
  assert.equal(observation.data.issue[0].expression, ['Observation.status']);
});

test.run();
