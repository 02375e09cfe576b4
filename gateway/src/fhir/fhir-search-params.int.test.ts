// The client returns untyped FHIR JSON; the assertions check its shape.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { Client } from 'fhir-kit-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Search parameters through fhir-kit-client, a FHIR client library not written here. Each
// parameter, modifier and control tested is first found in /metadata: the
// CapabilityStatement must claim what works, and what it claims must work.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let fhir: Client;
let admin: Client;
let cs: Any;
const P = 'demo-patient-1';
const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
/** Encounter label → id. */
const encounters: Record<string, string> = {};

const observation = (code: string, value: number, effective: string, extra: Any = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: `Patient/${P}` },
  effectiveDateTime: effective,
  valueQuantity: { value, unit: '/min', system: UCUM, code: '/min' },
  ...extra,
});

test.before(async () => {
  t = await startTestGateway();
  fhir = new Client({
    baseUrl: `${t.url}/fhir`,
    bearerToken: (await t.login('clinician')).access_token,
  });
  admin = new Client({
    baseUrl: `${t.url}/fhir`,
    bearerToken: (await t.login('it-admin')).access_token,
  });
  cs = await fhir.capabilityStatement();
  // A and C are instants, B is a whole day, D is long before.
  for (const body of [
    observation('8867-4', 61, '2026-04-01T10:00:00Z', { note: [{ text: 'after a walk' }] }),
    observation('8867-4', 88, '2026-04-02'),
    observation('8867-4', 102, '2026-04-03T10:00:00Z'),
    observation('9279-1', 18, '2025-01-01T00:00:00Z'),
  ]) {
    await fhir.create({ resourceType: 'Observation', body });
  }
  // Around the day 2026-04-02: E1 starts inside it and ends after, E2 starts before and
  // ends inside, E3 lies inside.
  for (const [label, start, end] of [
    ['E1', '2026-04-02T12:00:00Z', '2026-04-03T12:00:00Z'],
    ['E2', '2026-04-01T12:00:00Z', '2026-04-02T12:00:00Z'],
    ['E3', '2026-04-02T08:00:00Z', '2026-04-02T09:00:00Z'],
  ] as const) {
    const created = (await fhir.create({
      resourceType: 'Encounter',
      body: {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${P}` },
        period: { start, end },
      },
    })) as Any;
    encounters[label] = created.id as string;
  }
  for (const name of ['Beta Clinic', 'alpha clinic', 'Gamma Clinic']) {
    await admin.create({
      resourceType: 'Organization',
      body: { resourceType: 'Organization', active: true, name },
    });
  }
});

test.after(async () => {
  await t.close();
});

function claims(type: string, name: string, kind: string): void {
  const resource = cs.rest[0].resource.find((r: Any) => r.type === type);
  const param = resource?.searchParam.find((p: Any) => p.name === name);
  assert.is(param?.type, kind, `/metadata claims ${type}?${name} (${kind})`);
}

function claimsControl(name: string): void {
  assert.ok(
    cs.rest[0].searchParam.some((p: Any) => p.name === name),
    `/metadata claims ${name}`,
  );
}

async function search(type: string, searchParams: Any, client = fhir): Promise<Any> {
  return client.search({ resourceType: type, searchParams });
}

const matches = (bundle: Any): Any[] =>
  (bundle.entry ?? []).filter((e: Any) => e.search?.mode !== 'include').map((e: Any) => e.resource);
const values = (bundle: Any) => matches(bundle).map((r) => r.valueQuantity.value as number);
const sorted = (list: number[]) => [...list].sort((a, b) => a - b);

test('date: all nine prefixes on Observation.effective, day and instant boundaries', async () => {
  claims('Observation', 'date', 'date');
  const at = async (value: string | string[]) =>
    sorted(values(await search('Observation', { patient: P, date: value })));

  // The day 2026-04-02: B covers it exactly, A ends and C starts outside it.
  assert.equal(await at('2026-04-02'), [88]);
  assert.equal(await at('eq2026-04-02'), [88]);
  assert.equal(await at('ne2026-04-02'), [18, 61, 102]);
  assert.equal(await at('lt2026-04-02'), [18, 61]);
  assert.equal(await at('gt2026-04-02'), [102]);
  assert.equal(await at('le2026-04-02'), [18, 61, 88]);
  assert.equal(await at('ge2026-04-02'), [88, 102]);
  assert.equal(await at('sa2026-04-02'), [102]);
  assert.equal(await at('eb2026-04-02'), [18, 61]);
  const near = await at('ap2026-04-02');
  assert.ok(near.includes(88) && !near.includes(18), 'ap: near the day, not a year before');

  // The instant of A, to the second.
  assert.equal(await at('eq2026-04-01T10:00:00Z'), [61]);
  assert.equal(await at('gt2026-04-01T10:00:00Z'), [88, 102]);
  assert.equal(await at('lt2026-04-01T10:00:00Z'), [18]);
  assert.equal(await at('ge2026-04-01T10:00:00Z'), [61, 88, 102]);
  assert.equal(await at('le2026-04-01T10:00:00Z'), [18, 61]);
  assert.equal(await at('sa2026-04-01T10:00:00Z'), [88, 102]);
  assert.equal(await at('eb2026-04-01T10:00:00Z'), [18]);
  assert.equal(await at(['ge2026-04-01T10:00:00Z', 'lt2026-04-03']), [61, 88]);
  assert.equal(await at('2026'), [61, 88, 102]);
});

test('date: prefixes on an Encounter period that straddles the searched day', async () => {
  claims('Encounter', 'date', 'date');
  const at = async (value: string) => {
    const found = matches(await search('Encounter', { patient: P, date: value }));
    const label = (id: string) => Object.keys(encounters).find((k) => encounters[k] === id);

    return found.map((r) => label(r.id as string)).sort();
  };

  assert.equal(await at('eq2026-04-02'), ['E3']);
  assert.equal(await at('ne2026-04-02'), ['E1', 'E2']);
  assert.equal(await at('gt2026-04-02'), ['E1']);
  assert.equal(await at('lt2026-04-02'), ['E2']);
  // [FHIR R4 search 3.1.1.4.1] ge: the range above the value overlaps, or the value's
  // range contains the target; le likewise below. E2 is neither above nor inside.
  assert.equal(await at('ge2026-04-02'), ['E1', 'E3']);
  assert.equal(await at('le2026-04-02'), ['E2', 'E3']);
  assert.equal(await at('sa2026-04-02'), []);
  assert.equal(await at('eb2026-04-02'), []);
  assert.equal(await at('ap2026-04-02'), ['E1', 'E2', 'E3']);
  assert.equal(await at('sa2026-04-01'), ['E1', 'E3']);
  assert.equal(await at('eb2026-04-03'), ['E2', 'E3']);
});

test('token :not and quantity with system|code', async () => {
  claims('Observation', 'code', 'token');
  claims('Observation', 'value-quantity', 'quantity');

  const not = await search('Observation', { patient: P, 'code:not': `${LOINC}|8867-4` });
  assert.equal(values(not), [18]);
  const quantity = async (value: string) =>
    sorted(values(await search('Observation', { patient: P, 'value-quantity': value })));
  assert.equal(await quantity(`gt60|${UCUM}|/min`), [61, 88, 102]);
  assert.equal(await quantity(`le88|${UCUM}|/min`), [18, 61, 88]);
  assert.equal(await quantity('102||/min'), [102]);
  assert.equal(await quantity(`ge0|${UCUM}|%`), [], 'another unit matches nothing');
  assert.equal(await quantity('ge0|urn:other|/min'), [], 'another system matches nothing');
});

// [FHIR R4 search 3.1.1.4.2] eq and no prefix mean the range the precision implies.
test('quantity: implied precision ranges, sa and eb', async () => {
  const quantity = async (value: string) =>
    sorted(values(await search('Observation', { patient: P, 'value-quantity': value })));
  assert.equal(await quantity('88.0'), [88]);
  assert.equal(await quantity('88.04'), [], '88.04 is [88.035, 88.045)');
  assert.equal(await quantity('88'), [88]);
  assert.equal(await quantity('9e1'), [88], '9e1 is [85, 95)');
  assert.equal(await quantity('eq1e2'), [61, 88, 102], '1e2 is [50, 150)');
  assert.equal(await quantity('ne9e1'), [18, 61, 102]);
  assert.equal(await quantity('sa88'), [102]);
  assert.equal(await quantity('sa9e1'), [102], 'starts after 95');
  assert.equal(await quantity('eb88'), [18, 61]);
  assert.equal(await quantity('eb9e1'), [18, 61], 'ends before 85');
});

test('_sort ascending and descending on a date and on a string', async () => {
  claimsControl('_sort');
  claims('Organization', 'name', 'string');

  const byDate = async (sort: string) =>
    values(await search('Observation', { patient: P, code: '8867-4', _sort: sort }));
  assert.equal(await byDate('date'), [61, 88, 102]);
  assert.equal(await byDate('-date'), [102, 88, 61]);
  const byName = async (sort: string) =>
    matches(await search('Organization', { _sort: sort }, admin)).map((o) => o.name as string);
  assert.equal(await byName('name'), ['alpha clinic', 'Beta Clinic', 'Gamma Clinic']);
  assert.equal(await byName('-name'), ['Gamma Clinic', 'Beta Clinic', 'alpha clinic']);
});

test('_summary=true, _summary=count and _elements', async () => {
  claimsControl('_summary');
  claimsControl('_elements');

  const summary = matches(await search('Observation', { code: '8867-4', _summary: 'true' }));
  assert.is(summary.length, 3);
  for (const r of summary) {
    assert.is(r.note, undefined, 'note is not a summary element');
    assert.is(r.code.coding[0].code, '8867-4');
    assert.ok(r.valueQuantity && r.effectiveDateTime, 'value[x] and effective[x] are summary');
    assert.ok(r.meta.tag.some((tag: Any) => tag.code === 'SUBSETTED'));
  }
  const counted = await search('Observation', { patient: P, _summary: 'count' });
  assert.is(counted.total, 4);
  assert.equal(counted.entry ?? [], []);

  const elements = matches(await search('Observation', { code: '9279-1', _elements: 'status' }));
  assert.is(elements.length, 1);
  assert.is(elements[0]?.status, 'final');
  assert.is(elements[0]?.code, undefined);
  assert.is(elements[0]?.resourceType, 'Observation');
  assert.ok(elements[0]?.id);
});

test('_include of the patient, chained patient.name and subject:Patient.name', async () => {
  const observation_ = cs.rest[0].resource.find((r: Any) => r.type === 'Observation');
  assert.ok(observation_.searchInclude.includes('Observation:patient'));
  claimsControl('_include');
  claims('Observation', 'patient', 'reference');
  claims('Observation', 'subject', 'reference');
  claims('Patient', 'name', 'string');
  const chains = (name: string) =>
    observation_.searchParam.find((p: Any) => p.name === name).documentation as string;
  assert.match(chains('patient'), /Chains one level/);
  assert.match(chains('subject'), /subject:Patient\.name/);

  const included = await search('Observation', {
    code: '9279-1',
    _include: 'Observation:patient',
  });
  assert.equal(
    included.entry.map((e: Any) => [e.search.mode, e.resource.resourceType]),
    [
      ['match', 'Observation'],
      ['include', 'Patient'],
    ],
  );
  assert.is(included.entry[1].resource.id, P);
  assert.is((await search('Observation', { 'patient.name': 'demo' })).total, 4);
  assert.is((await search('Observation', { 'subject:Patient.name': 'DEMO' })).total, 4);
  assert.is((await search('Observation', { 'patient.name': 'nobody' })).total, 0);
});

test('_id, _lastUpdated, _count and the paging links of a searchset', async () => {
  claims('Observation', '_id', 'token');
  claims('Observation', '_lastUpdated', 'date');
  claimsControl('_count');

  const all = matches(await search('Observation', { patient: P }));
  const id = all[0]?.id as string;
  assert.equal(
    matches(await search('Observation', { _id: id })).map((r) => r.id),
    [id],
  );
  assert.is((await search('Observation', { patient: P, _lastUpdated: 'ge2020-01-01' })).total, 4);
  assert.is((await search('Observation', { patient: P, _lastUpdated: 'lt2020-01-01' })).total, 0);

  const first = await search('Observation', { patient: P, _count: '3', _sort: 'date' });
  assert.is(first.type, 'searchset');
  assert.is(first.total, 4);
  assert.equal(values(first), [18, 61, 88]);
  const relations = (b: Any) => b.link.map((l: Any) => l.relation as string).sort();
  assert.equal(relations(first), ['first', 'next', 'self']);
  const second = (await fhir.nextPage({ bundle: first as never })) as Any;
  assert.equal(values(second), [102]);
  assert.equal(relations(second), ['first', 'previous', 'self']);
  const back = (await fhir.prevPage({ bundle: second as never })) as Any;
  assert.equal(values(back), [18, 61, 88]);
});

// Each claimed parameter of each type, with a well-formed value: the server must answer
// a searchset, never an error (a claimed parameter that cannot be searched is a lie).
test('every search parameter /metadata claims answers a searchset', async () => {
  const sample: Record<string, string> = {
    string: 'x',
    token: 'x',
    reference: 'Patient/x',
    date: 'ge2026-01-01',
    quantity: 'gt1',
    number: 'gt1',
    uri: 'http://example.org/x',
  };
  const failures: string[] = [];
  for (const resource of cs.rest[0].resource as Any[]) {
    if (['Group', 'Claim', 'ClaimResponse', 'ExplanationOfBenefit'].includes(resource.type)) {
      continue;
    }
    for (const param of resource.searchParam as Any[]) {
      // An encrypted parameter is documented as exact only: no prefix.
      const exact = typeof param.documentation === 'string' && param.type === 'date';
      const value = exact ? '2026-01-01' : sample[param.type as string];
      if (value === undefined) {
        failures.push(`${resource.type}?${param.name}: type ${param.type}`);
        continue;
      }
      try {
        const bundle = await search(resource.type, { [param.name]: value, _count: '1' });
        if (bundle.type !== 'searchset') {
          failures.push(`${resource.type}?${param.name}: no searchset`);
        }
      } catch (error) {
        const status_ = (error as { response?: { status: number } }).response?.status;
        failures.push(`${resource.type}?${param.name}=${value}: ${status_ ?? String(error)}`);
      }
    }
  }
  assert.equal(failures, []);
});

test('an encrypted parameter is documented as exact only, and a prefix on it is refused', async () => {
  const patient = cs.rest[0].resource.find((r: Any) => r.type === 'Patient');
  const birthdate = patient.searchParam.find((p: Any) => p.name === 'birthdate');
  assert.match(birthdate.documentation, /exact values only/);
  assert.is(patient.searchParam.find((p: Any) => p.name === 'gender').documentation, undefined);

  assert.is((await search('Patient', { birthdate: '1950-01-01' })).total, 1);
  const refused = await fhir
    .search({ resourceType: 'Patient', searchParams: { birthdate: 'ge1950-01-01' } })
    .then(
      () => 200,
      (error: { response?: { status: number } }) => error.response?.status,
    );
  assert.is(refused, 400);
});

test.run();
