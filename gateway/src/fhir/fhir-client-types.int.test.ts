// The client returns untyped FHIR JSON; the assertions check its shape.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { Client } from 'fhir-kit-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// fhir-kit-client, a FHIR client library not written here, drives every interaction of
// every writable type against the running server, one row of a table per type.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let clinician: Client;
let admin: Client;
let careWriter: Client;
const P = 'demo-patient-1';
const PATIENT = { reference: `Patient/${P}` };
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const concept = (system: string, code: string) => ({ coding: [{ system, code }] });

/** One type: who writes it, a minimal valid R4 body, and a standard parameter it matches. */
interface Row {
  type: string;
  writer: 'clinician' | 'it-admin';
  body: Any;
  search: [string, string];
}

const ROWS: Row[] = [
  {
    type: 'Patient',
    writer: 'clinician',
    body: { name: [{ family: 'Tabular' }], gender: 'female' },
    search: ['gender', 'female'],
  },
  {
    type: 'Practitioner',
    writer: 'it-admin',
    body: { active: true, name: [{ family: 'Roster' }] },
    search: ['active', 'true'],
  },
  {
    type: 'PractitionerRole',
    writer: 'it-admin',
    body: { active: true, practitioner: { reference: 'Practitioner/demo-clinician' } },
    search: ['practitioner', 'Practitioner/demo-clinician'],
  },
  {
    type: 'Organization',
    writer: 'it-admin',
    body: { active: true, name: 'Table Clinic', identifier: [{ system: 'urn:org', value: 'T1' }] },
    search: ['identifier', 'urn:org|T1'],
  },
  {
    type: 'Location',
    writer: 'it-admin',
    body: { status: 'active', name: 'Table room' },
    search: ['status', 'active'],
  },
  {
    type: 'CareTeam',
    writer: 'clinician',
    body: { status: 'active', subject: PATIENT },
    search: ['patient', P],
  },
  {
    type: 'Encounter',
    writer: 'clinician',
    body: {
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: PATIENT,
    },
    search: ['class', 'AMB'],
  },
  {
    type: 'Appointment',
    writer: 'clinician',
    body: {
      status: 'booked',
      start: '2026-05-01T09:00:00Z',
      end: '2026-05-01T09:30:00Z',
      participant: [{ actor: PATIENT, status: 'accepted' }],
    },
    search: ['patient', `Patient/${P}`],
  },
  {
    type: 'Observation',
    writer: 'clinician',
    body: { status: 'final', code: concept(LOINC, '29463-7'), subject: PATIENT },
    search: ['code', `${LOINC}|29463-7`],
  },
  {
    type: 'Device',
    writer: 'clinician',
    body: { status: 'active', patient: PATIENT },
    search: ['patient', P],
  },
  {
    type: 'Condition',
    writer: 'clinician',
    body: { code: concept(SNOMED, '38341003'), subject: PATIENT },
    search: ['code', '38341003'],
  },
  {
    type: 'AllergyIntolerance',
    writer: 'clinician',
    body: {
      clinicalStatus: concept(
        'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
        'active',
      ),
      code: concept(SNOMED, '91936005'),
      patient: PATIENT,
    },
    search: ['clinical-status', 'active'],
  },
  {
    type: 'MedicationRequest',
    writer: 'clinician',
    body: {
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: concept(RXNORM, '197361'),
      subject: PATIENT,
    },
    search: ['code', `${RXNORM}|197361`],
  },
  {
    type: 'MedicationStatement',
    writer: 'clinician',
    body: {
      status: 'active',
      medicationCodeableConcept: concept(RXNORM, '197361'),
      subject: PATIENT,
    },
    search: ['subject', `Patient/${P}`],
  },
  {
    type: 'DiagnosticReport',
    writer: 'clinician',
    body: { status: 'final', code: concept(LOINC, '58410-2'), subject: PATIENT },
    search: ['code', '58410-2'],
  },
  {
    type: 'CarePlan',
    writer: 'clinician',
    body: { status: 'active', intent: 'plan', subject: PATIENT },
    search: ['intent', 'plan'],
  },
  {
    type: 'Goal',
    writer: 'clinician',
    body: { lifecycleStatus: 'active', description: { text: 'Walk daily' }, subject: PATIENT },
    search: ['lifecycle-status', 'active'],
  },
  {
    type: 'Coverage',
    writer: 'clinician',
    body: { status: 'active', beneficiary: PATIENT, payor: [PATIENT] },
    search: ['beneficiary', `Patient/${P}`],
  },
  {
    type: 'Consent',
    writer: 'clinician',
    body: {
      status: 'active',
      scope: concept('http://terminology.hl7.org/CodeSystem/consentscope', 'patient-privacy'),
      category: [concept(LOINC, '59284-0')],
      patient: PATIENT,
      policyRule: concept('http://terminology.hl7.org/CodeSystem/v3-ActCode', 'OPTIN'),
    },
    search: ['patient', `Patient/${P}`],
  },
  {
    type: 'Communication',
    writer: 'clinician',
    body: { status: 'completed', subject: PATIENT, payload: [{ contentString: 'See you Monday' }] },
    search: ['status', 'completed'],
  },
];

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

const ids = (bundle: Any): string[] => (bundle.entry ?? []).map((e: Any) => e.resource.id);

test.before(async () => {
  t = await startTestGateway();
  const base = `${t.url}/fhir`;
  const doctor = await t.login('clinician');
  clinician = new Client({ baseUrl: base, bearerToken: doctor.access_token });
  // Care teams come from an integration (an EHR feed), not from the clinician's own
  // break-the-glass, which may not grant itself lasting access.
  const secret = 'care-team-writer-secret-0123456789abcdef';
  await t.gateway.clients.register({
    id: 'care-writer',
    confidential: true,
    secret,
    scopes: ['system/CareTeam.cruds'],
    units: ['*'],
  });
  const res = await fetch(`${t.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`care-writer:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=system/CareTeam.cruds',
  });
  const { access_token } = (await res.json()) as { access_token: string };
  careWriter = new Client({ baseUrl: base, bearerToken: access_token });
  admin = new Client({ baseUrl: base, bearerToken: (await t.login('it-admin')).access_token });
});

test.after(async () => {
  await t.close();
});

test('metadata lists every type of the table with all its interactions', async () => {
  const cs = (await clinician.capabilityStatement()) as Any;
  for (const row of ROWS) {
    const resource = cs.rest[0].resource.find((r: Any) => r.type === row.type);
    assert.ok(resource, row.type);
    const codes = resource.interaction.map((i: Any) => i.code);
    for (const code of ['create', 'read', 'vread', 'update', 'patch', 'delete']) {
      assert.ok(codes.includes(code), `${row.type} ${code}`);
    }
    assert.ok(codes.includes('history-instance') && codes.includes('search-type'), row.type);
    const params = resource.searchParam.map((p: Any) => p.name);
    for (const name of [row.search[0], '_id']) {
      assert.ok(params.includes(name), `${row.type} claims ${name}`);
    }
  }
});

for (const row of ROWS) {
  test(`${row.type}: create, read, vread, update with If-Match, patch, search, history, delete`, async () => {
    const fhir = row.writer === 'it-admin' ? admin : clinician;
    const type = row.type;

    const created = (await fhir.create({
      resourceType: type,
      body: { resourceType: type, ...row.body },
    })) as Any;
    assert.is(created.resourceType, type);
    assert.is(created.meta.versionId, '1');
    const id = created.id as string;
    if (type === 'Patient') {
      // A new patient is in no clinician's care until a CareTeam says so.
      await careWriter.create({
        resourceType: 'CareTeam',
        body: {
          resourceType: 'CareTeam',
          status: 'active',
          subject: { reference: `Patient/${id}` },
          participant: [{ member: { reference: 'Practitioner/demo-clinician' } }],
        },
      });
    }
    const read = (await fhir.read({ resourceType: type, id })) as Any;
    for (const [key, value] of Object.entries(row.body)) {
      assert.equal(read[key], value, `${type}.${key} reads back`);
    }
    const v1 = (await fhir.vread({ resourceType: type, id, version: '1' })) as Any;
    assert.is(v1.meta.versionId, '1');

    const updated = (await fhir.update({
      resourceType: type,
      id,
      body: { ...read, resourceType: type, language: 'en' },
      options: { headers: { 'If-Match': 'W/"1"' } },
    })) as Any;
    assert.is(updated.meta.versionId, '2');
    assert.is(updated.language, 'en');
    const stale = await status(
      fhir.update({
        resourceType: type,
        id,
        body: { ...read, resourceType: type },
        options: { headers: { 'If-Match': 'W/"1"' } },
      }),
    );
    assert.is(stale.status, 412, `${type}: a stale If-Match is refused`);
    assert.is(stale.data.resourceType, 'OperationOutcome');

    const patched = (await fhir.patch({
      resourceType: type,
      id,
      jsonPatch: [{ op: 'replace', path: '/language', value: 'en-US' }],
    })) as Any;
    assert.is(patched.meta.versionId, '3');
    assert.is(patched.language, 'en-US');
    assert.is(
      ((await fhir.vread({ resourceType: type, id, version: '1' })) as Any).language,
      undefined,
    );

    const [param, value] = row.search;
    const byParam = (await fhir.search({
      resourceType: type,
      searchParams: { [param]: value, _count: '100' },
    })) as Any;
    assert.is(byParam.type, 'searchset');
    assert.ok(ids(byParam).includes(id), `${type}?${param}=${value} finds it`);
    const posted = (await fhir.search({
      resourceType: type,
      searchParams: { [param]: value, _id: id },
      options: { postSearch: true },
    })) as Any;
    assert.equal(ids(posted), [id], `POST ${type}/_search by ${param} and _id`);
    const byId = (await fhir.search({ resourceType: type, searchParams: { _id: id } })) as Any;
    assert.is(byId.total, 1);
    assert.is(byId.entry[0].resource.meta.versionId, '3');

    const history = (await fhir.history({ resourceType: type, id })) as Any;
    assert.is(history.type, 'history');
    assert.equal(
      history.entry.map((e: Any) => e.request.method),
      ['PUT', 'PUT', 'POST'],
    );

    await fhir.delete({ resourceType: type, id });
    assert.is((await status(fhir.read({ resourceType: type, id }))).status, 410, `${type} gone`);
    const after = (await fhir.search({ resourceType: type, searchParams: { _id: id } })) as Any;
    assert.is(after.total, 0, 'a deleted resource is not found by search');
  });
}

test.run();
