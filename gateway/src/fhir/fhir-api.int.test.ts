// The client returns untyped FHIR JSON; the assertions check its shape.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { createObservation } from '@sparkden/protocol';
import { Client } from 'fhir-kit-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// A real FHIR client library, fhir-kit-client, drives the running server.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let fhir: Client;
const P = 'demo-patient-1';

async function status(promise: Promise<unknown>): Promise<{ status: number; data: Any }> {
  try {
    await promise;

    return { status: 200, data: {} };
  } catch (error) {
    const response = (error as { response?: { status: number; data: Any } }).response;
    if (response === undefined) {
      throw error;
    }

    return response;
  }
}

const obs = (code: string, value: number, at: string, unit = '/min') => ({
  resourceType: 'Observation',
  status: 'final',
  category: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
          code: 'vital-signs',
        },
      ],
    },
  ],
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${P}` },
  effectiveDateTime: at,
  valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
});

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  const { access_token } = await t.login('clinician');
  fhir = new Client({ baseUrl: `${t.url}/fhir`, bearerToken: access_token });
  await fhir.update({
    resourceType: 'Patient',
    id: P,
    body: {
      resourceType: 'Patient',
      id: P,
      name: [{ family: 'Demo', given: ['Pat'] }],
      birthDate: '1950-01-01',
      identifier: [{ system: 'urn:mrn', value: 'MRN-0042' }],
      telecom: [{ system: 'phone', value: '555-0101' }],
    },
  });
  for (const [code, value, at] of [
    ['8867-4', 61, '2026-02-01T08:00:00Z'],
    ['8867-4', 88, '2026-02-03T08:00:00Z'],
    ['8867-4', 102, '2026-02-05T08:00:00Z'],
    ['9279-1', 18, '2026-02-04T08:00:00Z'],
  ] as const) {
    await fhir.create({
      resourceType: 'Observation',
      body: obs(code, value, at, code === '9279-1' ? '/min' : '/min'),
    });
  }
});

test.after(async () => {
  await t.close();
});

test('metadata states R4, JSON Patch, the types and their search parameters', async () => {
  const cs = (await fhir.capabilityStatement()) as Any;
  assert.is(cs.fhirVersion, '4.0.1');
  assert.ok(cs.patchFormat.includes('application/json-patch+json'));
  const observation = cs.rest[0].resource.find((r: Any) => r.type === 'Observation');
  assert.ok(
    observation.searchParam.some((p: Any) => p.name === 'value-quantity' && p.type === 'quantity'),
  );
  assert.ok(observation.operation.some((o: Any) => o.name === 'lastn'));
  assert.is(cs.rest[0].resource.length, 21);
});

test('create, read, update with If-Match, patch, vread, history, delete', async () => {
  const body = {
    resourceType: 'Condition',
    subject: { reference: `Patient/${P}` },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
  };
  const created = (await fhir.create({ resourceType: 'Condition', body })) as Any;
  assert.is(created.meta.versionId, '1');
  const read = (await fhir.read({ resourceType: 'Condition', id: created.id })) as Any;
  assert.equal(read.code, body.code);

  const updated = (await fhir.update({
    resourceType: 'Condition',
    id: created.id,
    body: { ...read, note: [{ text: 'x' }] } as never,
    options: { headers: { 'If-Match': 'W/"1"' } },
  })) as Any;
  assert.is(updated.meta.versionId, '2');
  const stale = await status(
    fhir.update({
      resourceType: 'Condition',
      id: created.id,
      body: read as never,
      options: { headers: { 'If-Match': 'W/"1"' } },
    }),
  );
  assert.is(stale.status, 412);
  assert.is(stale.data.resourceType, 'OperationOutcome');

  const patched = (await fhir.patch({
    resourceType: 'Condition',
    id: created.id,
    jsonPatch: [
      {
        op: 'add',
        path: '/clinicalStatus',
        value: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' },
          ],
        },
      },
    ],
  })) as Any;
  assert.is(patched.meta.versionId, '3');
  assert.is(patched.clinicalStatus.coding[0].code, 'active');
  const v1 = (await fhir.vread({ resourceType: 'Condition', id: created.id, version: '1' })) as Any;
  assert.is(v1.note, undefined);

  await fhir.delete({ resourceType: 'Condition', id: created.id });
  assert.is((await status(fhir.read({ resourceType: 'Condition', id: created.id }))).status, 410);
  const history = (await fhir.history({ resourceType: 'Condition', id: created.id })) as Any;
  assert.is(history.type, 'history');
  assert.equal(
    history.entry.map((e: Any) => e.request.method),
    ['DELETE', 'PUT', 'PUT', 'POST'],
  );
});

test('every write is validated against R4; errors are OperationOutcomes with the right status', async () => {
  const invalid = await status(
    fhir.create({
      resourceType: 'Observation',
      body: {
        resourceType: 'Observation',
        status: 'final',
        subject: { reference: `Patient/${P}` },
      },
    }),
  );
  assert.is(invalid.status, 422);
  assert.ok(invalid.data.issue.some((i: Any) => String(i.expression).includes('Observation.code')));
  const badDate = await status(
    fhir.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', birthDate: 'yesterday' },
    }),
  );
  assert.is(badDate.status, 422);
  assert.is((await status(fhir.read({ resourceType: 'Basic', id: 'x' }))).status, 404);
  // Access before existence: a clinician, who may not see every patient, cannot tell an
  // absent Observation from another patient's (both 403); a system client of every unit
  // can (404). See FhirService.
  assert.is((await status(fhir.read({ resourceType: 'Observation', id: 'nope' }))).status, 403);
  const system = await t.login('system');
  const absent = await fetch(`${t.url}/fhir/Observation/nope`, {
    headers: { authorization: `Bearer ${system.access_token}` },
  });
  assert.is(absent.status, 404);
  const badParam = await status(
    fhir.search({ resourceType: 'Observation', searchParams: { 'not-a-param': 'x' } }),
  );
  assert.is(badParam.status, 400);
});

async function auditOf(res: Response) {
  const { rows } = await t.db.query<{
    action: string;
    outcome: string;
    patient_id: string | null;
    detail: Any;
  }>('select action, outcome, patient_id, detail from audit.events where request_id = $1', [
    res.headers.get('x-request-id'),
  ]);

  return rows.map((r) => [r.action, r.outcome, r.patient_id, r.detail.code ?? null]);
}

test('every failed PHI access is audited with outcome failure (or denied) and the error code', async () => {
  const clinician = await t.login('clinician');
  const system = await t.login('system');
  const call = (token: string, path: string, init: RequestInit = {}) =>
    fetch(`${t.url}/fhir/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/fhir+json',
        ...(init.headers ?? {}),
      },
    });
  const cases: [Response, number, unknown[][]][] = [
    [
      await call(system.access_token, 'Observation/nope'),
      404,
      [['read', 'failure', null, 'NOT_FOUND']],
    ],
    [await call(clinician.access_token, 'Observation/nope'), 403, [['read', 'denied', null, null]]],
    [
      await call(clinician.access_token, 'Observation', {
        method: 'POST',
        body: JSON.stringify({
          resourceType: 'Observation',
          subject: { reference: `Patient/${P}` },
        }),
      }),
      422,
      [['create', 'failure', P, 'VALIDATION']],
    ],
    [
      await call(clinician.access_token, 'Observation', { method: 'POST', body: '{not json' }),
      400,
      [['create', 'failure', null, 'INVALID']],
    ],
    [
      await call(clinician.access_token, `Patient/${P}`, {
        method: 'PUT',
        headers: { 'if-match': 'W/"999"' },
        body: JSON.stringify({ resourceType: 'Patient', id: P }),
      }),
      412,
      [['update', 'failure', P, 'PRECONDITION_FAILED']],
    ],
    [
      await call(clinician.access_token, 'Observation?not-a-param=x'),
      400,
      [['search', 'failure', null, 'INVALID']],
    ],
    [
      await call(system.access_token, `Observation?patient=${P}`, {
        headers: { 'x-break-glass-reason': 'a system client tries the glass' },
      }),
      403,
      [['break-glass', 'denied', null, null]],
    ],
  ];
  for (const [res, expected, audit] of cases) {
    assert.is(res.status, expected);
    assert.equal(await auditOf(res), audit, `${res.status} ${res.url}`);
  }
});

test('device readings page exactly: totals counted in SQL, next links, filters before the limit', async () => {
  const P2 = 'paging-patient';
  const system = await t.login('system');
  await fhir.update({
    resourceType: 'Patient',
    id: P2,
    body: { resourceType: 'Patient', id: P2 },
    options: { headers: { 'x-break-glass-reason': 'set up a patient for paging' } },
  });
  await t.gateway.setPatientUnit(P2, 'ward-1');
  const readings = Array.from({ length: 25 }, (_, i) =>
    createObservation({
      patient: P2,
      device: { id: i % 2 === 0 ? 'ox-a' : 'ox-b', transport: 'simulated' },
      code: 'heart-rate',
      value: 60 + i,
      unit: '/min',
      effectiveAt: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
    }),
  );
  await t.vitals!.write({ agentId: 'agent-1', observations: readings });
  const search = async (query: string) => {
    const res = await fetch(`${t.url}/fhir/Observation?patient=${P2}&${query}`, {
      headers: { authorization: `Bearer ${system.access_token}` },
    });
    assert.is(res.status, 200, query);

    return (await res.json()) as Any;
  };
  const next = (b: Any) =>
    b.link.find((l: Any) => l.relation === 'next')?.url as string | undefined;
  const values = (b: Any) => b.entry.map((e: Any) => e.resource.valueQuantity.value);

  const first = await search('_count=10');
  assert.is(first.total, 25);
  assert.equal(values(first), [84, 83, 82, 81, 80, 79, 78, 77, 76, 75]);
  assert.ok(next(first), 'more readings than _count: a next link');
  const third = await search('_count=10&_offset=20');
  assert.equal(values(third), [64, 63, 62, 61, 60]);
  assert.is(next(third), undefined);
  assert.is((await search('_summary=count')).total, 25);
  const ascending = await search('_count=3&_sort=date');
  assert.equal(values(ascending), [60, 61, 62]);

  const high = await search('value-quantity=gt80&_count=2');
  assert.is(high.total, 4, 'value-quantity filters before the page is cut');
  assert.equal(values(high), [84, 83]);
  assert.ok(next(high));
  const dated = await search('date=ge2026-03-01T00:20:00Z&_count=2');
  assert.is(dated.total, 5);
  // A parameter the store cannot filter on is matched in memory over every candidate.
  const byDevice = await search('status=final&value-quantity=lt62&_count=1');
  assert.is(byDevice.total, 2);
});

test('search: token, date prefixes, quantity, _sort, _count paging, POST _search, _summary', async () => {
  const search = async (searchParams: Any, options?: Any) =>
    (await fhir.search({
      resourceType: 'Observation',
      searchParams,
      ...(options ? { options } : {}),
    })) as Any;
  const values = (b: Any) =>
    b.entry
      .filter((e: Any) => e.search.mode === 'match')
      .map((e: Any) => e.resource.valueQuantity.value);

  assert.equal(
    values(await search({ code: 'http://loinc.org|8867-4', _sort: 'date' })),
    [61, 88, 102],
  );
  assert.equal(
    values(await search({ code: '8867-4', date: 'ge2026-02-03', _sort: '-date' })),
    [102, 88],
  );
  assert.equal(values(await search({ date: 'lt2026-02-02' })), [61]);
  assert.equal(values(await search({ 'value-quantity': 'gt90', code: '8867-4' })), [102]);
  assert.equal(
    values(
      await search(
        { code: '8867-4', 'value-quantity': 'le88', _sort: '-date' },
        { postSearch: true },
      ),
    ),
    [88, 61],
  );

  const page1 = await search({ code: '8867-4', _count: '2', _sort: 'date' });
  assert.is(page1.total, 3);
  assert.equal(values(page1), [61, 88]);
  const page2 = (await fhir.nextPage({ bundle: page1 as never })) as Any;
  assert.equal(values(page2), [102]);
  assert.ok(page2.link.some((l: Any) => l.relation === 'previous'));

  const counted = await search({ code: '8867-4', _summary: 'count' });
  assert.is(counted.total, 3);
  assert.is(counted.entry.length, 0);
});

test('search: chained patient, _include, _id, _lastUpdated; encrypted fields by exact token', async () => {
  const chained = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { 'patient.name': 'dem', code: '9279-1' },
  })) as Any;
  assert.is(chained.total, 1);
  const byIdentifier = (await fhir.search({
    resourceType: 'Observation',
    searchParams: {
      'subject:Patient.identifier': 'urn:mrn|MRN-0042',
      code: '9279-1',
      _include: 'Observation:patient',
    },
  })) as Any;
  assert.equal(
    byIdentifier.entry.map((e: Any) => e.search.mode),
    ['match', 'include'],
  );
  assert.is(byIdentifier.entry[1].resource.name[0].family, 'Demo');

  const patients = async (searchParams: Any) =>
    ((await fhir.search({ resourceType: 'Patient', searchParams })) as Any).total;
  assert.is(await patients({ name: 'DEM' }), 1, 'string search is case-insensitive starts-with');
  assert.is(await patients({ name: 'emo' }), 0);
  assert.is(await patients({ identifier: 'MRN-0042' }), 1);
  assert.is(await patients({ identifier: 'MRN-0043' }), 0);
  assert.is(await patients({ birthdate: '1950-01-01' }), 1);
  assert.is(await patients({ phone: '555-0101' }), 1);
  assert.is(await patients({ _id: P, _lastUpdated: 'ge2020-01-01' }), 1);
  assert.is(
    (
      await status(
        fhir.search({ resourceType: 'Patient', searchParams: { 'name:contains': 'em' } }),
      )
    ).status,
    400,
  );
});

test('identifying fields are sealed at rest; a key rotation re-seals them and reads still work', async () => {
  const { rows } = await t.db.query<{ content: Any; sealed: string }>(
    `select content, sealed from clinical.resources where resource_type = 'Patient' and id = $1`,
    [P],
  );
  const stored = JSON.stringify(rows[0]);
  for (const secret of ['Demo', '1950-01-01', 'MRN-0042', '555-0101']) {
    assert.not.ok(stored.includes(secret), `${secret} is not stored in clear`);
  }
  const index = await t.db.query<{ code: string }>(
    `select code from clinical.search_index where resource_type = 'Patient' and id = $1`,
    [P],
  );
  assert.not.ok(index.rows.some((r) => /demo|mrn-0042/i.test(r.code ?? '')));
  const before = rows[0]?.sealed.split('.')[1];

  assert.ok((await t.gateway.rotateFieldKey()) >= 2);
  const after = await t.db.query<{ sealed: string }>(
    `select sealed from clinical.resources where resource_type = 'Patient' and id = $1`,
    [P],
  );
  assert.is.not(after.rows[0]?.sealed.split('.')[1], before);
  const patient = (await fhir.read({ resourceType: 'Patient', id: P })) as Any;
  assert.is(patient.identifier[0].value, 'MRN-0042');
});

test('Observations from the vitals store read as vital-signs profiles and merge into search and $lastn', async () => {
  const reading = createObservation({
    patient: P,
    device: { id: 'ox-1', transport: 'simulated', model: 'CMS50D+' },
    code: 'spo2',
    value: 89,
    unit: '%',
    effectiveAt: '2026-02-06T08:00:00Z',
  });
  await t.vitals!.write({ agentId: 'agent-1', observations: [reading] });

  const read = (await fhir.read({ resourceType: 'Observation', id: `vs-${reading.id}` })) as Any;
  assert.ok(read.meta.profile.includes('http://hl7.org/fhir/StructureDefinition/vitalsigns'));
  assert.is(read.valueQuantity.value, 89);
  assert.is(read.category[0].coding[0].code, 'vital-signs');

  const merged = (await fhir.search({
    resourceType: 'Observation',
    searchParams: { patient: P, _sort: '-date' },
  })) as Any;
  assert.is(merged.total, 5);
  assert.is(merged.entry[0].resource.id, `vs-${reading.id}`);
  const lastn = (await fhir.operation({
    resourceType: 'Observation',
    name: '$lastn',
    method: 'GET',
    input: { patient: P, max: '1' },
  })) as Any;
  const latest = lastn.entry
    .map((e: Any) => `${e.resource.code.coding[0].code}=${e.resource.valueQuantity.value}`)
    .sort();
  assert.equal(latest, ['2708-6=89', '8867-4=102', '9279-1=18']);
});

test('bulk $export: async kick-off, status polling, NDJSON files, Group export', async () => {
  const system = await t.login('system');
  const admin = await t.login('it-admin');
  const adminClient = new Client({ baseUrl: `${t.url}/fhir`, bearerToken: admin.access_token });
  const group = (await adminClient.create({
    resourceType: 'Group',
    body: {
      resourceType: 'Group',
      type: 'person',
      actual: true,
      member: [{ entity: { reference: `Patient/${P}` } }],
    },
  })) as Any;

  for (const path of [
    'Patient/$export?_type=Patient,Observation',
    `Group/${group.id}/$export?_type=Observation`,
  ]) {
    const kick = await fetch(`${t.url}/fhir/${path}`, {
      headers: { authorization: `Bearer ${system.access_token}`, prefer: 'respond-async' },
    });
    assert.is(kick.status, 202);
    const statusUrl = kick.headers.get('content-location')!;
    let manifest: Any | undefined;
    for (let i = 0; i < 100 && manifest === undefined; i += 1) {
      const poll = await fetch(statusUrl, {
        headers: { authorization: `Bearer ${system.access_token}` },
      });
      if (poll.status === 200) {
        manifest = (await poll.json()) as Any;
      } else {
        assert.is(poll.status, 202);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(manifest !== undefined);
    const observations = manifest.output.find((o: Any) => o.type === 'Observation');
    const ndjson = await (
      await fetch(observations.url, { headers: { authorization: `Bearer ${system.access_token}` } })
    ).text();
    const lines = ndjson
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Any);
    assert.ok(lines.length >= 4);
    assert.ok(lines.every((r) => r.resourceType === 'Observation'));
    const nurse = await t.login('nurse');
    assert.is(
      (await fetch(statusUrl, { headers: { authorization: `Bearer ${nurse.access_token}` } }))
        .status,
      404,
      'only the owner sees a job',
    );
  }
});

test.run();
