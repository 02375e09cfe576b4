// The client returns untyped FHIR JSON; the assertions check its shape.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { createObservation } from '@sparkden/protocol';
import { Client } from 'fhir-kit-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// The same search parameters over device readings (the vitals store), which an
// Observation search of one patient merges with the stored Observations: the store's own
// filters and the in-memory matcher must answer as the index does.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let fhir: Client;
const P = 'vitals-search-patient';
const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
let firstId = '';

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  const doctor = await t.login('clinician');
  const glass = new Client({
    baseUrl: `${t.url}/fhir`,
    bearerToken: doctor.access_token,
    customHeaders: { 'x-break-glass-reason': 'set up a patient for vitals search' },
  });
  await glass.update({ resourceType: 'Patient', id: P, body: { resourceType: 'Patient', id: P } });
  await t.gateway.setPatientUnit(P, 'ward-1');
  const readings = (
    [
      ['heart-rate', 61, '2026-04-01T10:00:00.000Z'],
      ['heart-rate', 88, '2026-04-02T12:00:00.000Z'],
      ['heart-rate', 102, '2026-04-03T10:00:00.000Z'],
      ['resp-rate', 18, '2025-01-01T00:00:00.000Z'],
    ] as const
  ).map(([code, value, effectiveAt]) =>
    createObservation({
      patient: P,
      device: { id: 'ox-a', transport: 'simulated' },
      code,
      value,
      unit: '/min',
      effectiveAt,
    }),
  );
  firstId = `vs-${readings[0]?.id ?? ''}`;
  await t.vitals!.write({ agentId: 'agent-1', observations: readings });
  const system = await t.login('system');
  fhir = new Client({ baseUrl: `${t.url}/fhir`, bearerToken: system.access_token });
});

test.after(async () => {
  await t.close();
});

async function values(searchParams: Any): Promise<number[]> {
  const bundle = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { patient: P, ...searchParams },
  })) as Any;
  assert.is(bundle.total, (bundle.entry ?? []).length, 'total counts the matches');

  return (bundle.entry ?? [])
    .map((e: Any) => e.resource.valueQuantity.value as number)
    .sort((a: number, b: number) => a - b);
}

test('device readings: all nine date prefixes around a day', async () => {
  assert.equal(await values({}), [18, 61, 88, 102]);
  assert.equal(await values({ date: 'eq2026-04-02' }), [88]);
  assert.equal(await values({ date: 'ne2026-04-02' }), [18, 61, 102]);
  assert.equal(await values({ date: 'lt2026-04-02' }), [18, 61]);
  assert.equal(await values({ date: 'gt2026-04-02' }), [102]);
  assert.equal(await values({ date: 'le2026-04-02' }), [18, 61, 88]);
  assert.equal(await values({ date: 'ge2026-04-02' }), [88, 102]);
  assert.equal(await values({ date: 'sa2026-04-02' }), [102]);
  assert.equal(await values({ date: 'eb2026-04-02' }), [18, 61]);
  const near = await values({ date: 'ap2026-04-02' });
  assert.ok(near.includes(88) && !near.includes(18), 'ap: near the day, not a year before');
  assert.equal(await values({ date: 'gt2026-04-01T10:00:00Z' }), [88, 102]);
  assert.equal(await values({ date: 'le2026-04-01T10:00:00Z' }), [18, 61]);
});

test('device readings: token :not, quantity with system|code, _id and _lastUpdated', async () => {
  assert.equal(await values({ 'code:not': `${LOINC}|8867-4` }), [18]);
  assert.equal(await values({ code: `${LOINC}|8867-4` }), [61, 88, 102]);
  assert.equal(await values({ 'value-quantity': `gt60|${UCUM}|/min` }), [61, 88, 102]);
  assert.equal(await values({ 'value-quantity': `ge0|${UCUM}|%` }), []);
  assert.equal(await values({ 'value-quantity': 'ge0|urn:other|/min' }), []);
  assert.equal(await values({ _id: firstId }), [61]);
  assert.equal(await values({ _id: 'vs-nothing' }), []);
  assert.equal(await values({ _id: firstId, code: '9279-1' }), [], '_id and code both apply');
  assert.equal(await values({ _id: `${firstId},vs-nothing`, date: 'lt2026-04-02' }), [61]);
  assert.equal(await values({ _lastUpdated: 'lt2020-01-01' }), []);
  assert.equal(await values({ _lastUpdated: 'ge2020-01-01' }), [18, 61, 88, 102]);
});

// [FHIR R4 search 3.1.1.4.2] the same precision ranges, sa and eb, in the store's SQL.
test('device readings: quantity implied precision ranges, sa and eb', async () => {
  const quantity = (value: string) => values({ 'value-quantity': value });
  assert.equal(await quantity('88.0'), [88]);
  assert.equal(await quantity('88.04'), [], '88.04 is [88.035, 88.045)');
  assert.equal(await quantity('88'), [88]);
  assert.equal(await quantity('9e1'), [88]);
  assert.equal(await quantity(`eq1e2|${UCUM}|/min`), [61, 88, 102]);
  assert.equal(await quantity('ne9e1'), [18, 61, 102]);
  assert.equal(await quantity('sa88'), [102]);
  assert.equal(await quantity('sa9e1'), [102]);
  assert.equal(await quantity('eb88'), [18, 61]);
  assert.equal(await quantity('eb9e1'), [18, 61]);
});

test('device readings: _summary=count, _elements and paging links', async () => {
  const counted = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { patient: P, _summary: 'count' },
  })) as Any;
  assert.is(counted.total, 4);
  const cut = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { patient: P, code: '9279-1', _elements: 'status' },
  })) as Any;
  assert.is(cut.entry.length, 1);
  assert.is(cut.entry[0].resource.code, undefined);
  assert.is(cut.entry[0].resource.status, 'final');
  const first = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { patient: P, _count: '3', _sort: 'date' },
  })) as Any;
  assert.ok(first.link.some((l: Any) => l.relation === 'next'));
  const second = (await fhir.nextPage({ bundle: first as never })) as Any;
  assert.equal(
    second.entry.map((e: Any) => e.resource.valueQuantity.value),
    [102],
  );
});

test.run();
