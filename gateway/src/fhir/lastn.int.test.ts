import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// $lastn ranks per code: a code whose newest reading is older than a busy code's 1000
// newest still answers.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let token = '';
const P = 'demo-patient-1';
const BUSY = 1100;

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  const start = Date.parse('2026-05-01T00:00:00Z');
  const observations = Array.from({ length: BUSY }, (_, i) =>
    createObservation({
      patient: P,
      device: { id: 'ox-1', transport: 'simulated' },
      code: 'heart-rate',
      value: 50 + (i % 50),
      effectiveAt: new Date(start + i * 60_000).toISOString(),
    }),
  );
  observations.push(
    createObservation({
      patient: P,
      device: { id: 'ox-1', transport: 'simulated' },
      code: 'resp-rate',
      value: 17,
      effectiveAt: '2026-01-01T00:00:00.000Z',
    }),
  );
  await t.vitals!.write({ agentId: 'agent-1', observations });
  token = (await t.login('clinician')).access_token;
  const manual = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: `Patient/${P}` },
    effectiveDateTime: '2025-12-01T00:00:00Z',
    valueQuantity: { value: 71, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  };
  const res = await fetch(`${t.url}/fhir/Observation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(manual),
  });
  assert.is(res.status, 201);
});

test.after(async () => {
  await t.close();
});

async function lastn(query: string): Promise<Any> {
  const res = await fetch(`${t.url}/fhir/Observation/$lastn?patient=${P}&${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.is(res.status, 200);

  return (await res.json()) as Any;
}

const codesOf = (bundle: Any) =>
  (bundle.entry as Any[]).map((e) => e.resource.code.coding[0].code as string);

test('a code older than the busy code’s 1000 newest readings still answers', async () => {
  const bundle = await lastn('max=1');

  assert.equal(codesOf(bundle).sort(), ['29463-7', '8867-4', '9279-1']);
  const rr = (bundle.entry as Any[]).find((e) => e.resource.code.coding[0].code === '9279-1');
  assert.is(rr?.resource.valueQuantity.value, 17);
  const hr = (bundle.entry as Any[]).find((e) => e.resource.code.coding[0].code === '8867-4');
  assert.is(
    hr?.resource.effectiveDateTime,
    new Date(Date.parse('2026-05-01T00:00:00Z') + (BUSY - 1) * 60_000).toISOString(),
  );
});

test('max gives up to that many per code, newest first', async () => {
  const bundle = await lastn('max=3');
  const codes = codesOf(bundle);

  assert.is(codes.filter((c) => c === '8867-4').length, 3);
  assert.is(codes.filter((c) => c === '9279-1').length, 1);
  assert.is(codes.filter((c) => c === '29463-7').length, 1);
  const hr = (bundle.entry as Any[])
    .filter((e) => e.resource.code.coding[0].code === '8867-4')
    .map((e) => e.resource.effectiveDateTime as string);
  assert.equal(hr, [...hr].sort().reverse());
});

test('code narrows $lastn', async () => {
  assert.equal(codesOf(await lastn('code=http://loinc.org|9279-1&max=5')), ['9279-1']);
});

test.run();
