// The client returns untyped FHIR JSON; the assertions check its shape.
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return */
import { createObservation } from '@sparkden/protocol';
import { Client } from 'fhir-kit-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Bulk export carries the device readings (the core RPM data), honours `_type` and
// `_since`, seals every file at rest and expires.

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let t: TestGateway;
let token = '';
let groupId = '';
const P = 'demo-patient-1';
const FAMILY = 'Quillfeatherington';
// More than one page (1000) of the readings exporter, so paging is exercised.
const OLD = 1205;
const NEW = 3;

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  const doctor = await t.login('clinician');
  const clinician = new Client({ baseUrl: `${t.url}/fhir`, bearerToken: doctor.access_token });
  await clinician.update({
    resourceType: 'Patient',
    id: P,
    body: { resourceType: 'Patient', id: P, name: [{ family: FAMILY, given: ['Ada'] }] },
  });
  const reading = (patient: string, i: number, receivedAt: string) =>
    createObservation({
      patient,
      device: { id: 'ox-1', transport: 'simulated' },
      code: 'heart-rate',
      value: 60 + (i % 40),
      effectiveAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000).toISOString(),
      receivedAt,
    });
  const observations = [
    ...Array.from({ length: OLD }, (_, i) => reading(P, i, '2026-01-02T00:00:00.000Z')),
    ...Array.from({ length: NEW }, (_, i) => reading(P, OLD + i, '2026-06-01T00:00:00.000Z')),
    ...Array.from({ length: 2 }, (_, i) => reading('not-in-group', i, '2026-06-01T00:00:00Z')),
  ];
  await t.vitals!.write({ agentId: 'agent-1', observations });
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
  groupId = group.id as string;
  token = (await t.login('system')).access_token;
});

test.after(async () => {
  await t.close();
});

const auth = () => ({ authorization: `Bearer ${token}` });

async function runExport(path: string): Promise<{ statusUrl: string; manifest: Any }> {
  const kick = await fetch(`${t.url}/fhir/${path}`, {
    headers: { ...auth(), prefer: 'respond-async' },
  });
  assert.is(kick.status, 202);
  const statusUrl = kick.headers.get('content-location') as string;
  await t.gateway.close();
  const poll = await fetch(statusUrl, { headers: auth() });
  assert.is(poll.status, 200);

  return { statusUrl, manifest: (await poll.json()) as Any };
}

async function linesOf(manifest: Any, type: string): Promise<Any[]> {
  const lines: Any[] = [];
  for (const output of manifest.output.filter((o: Any) => o.type === type)) {
    const res = await fetch(output.url as string, { headers: auth() });
    assert.is(res.status, 200);
    const text = await res.text();
    lines.push(
      ...text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Any),
    );
  }

  return lines;
}

const readingsIn = (lines: Any[]) => lines.filter((r) => String(r.id).startsWith('vs-'));

test('a Group export holds every device reading of its members as vital-signs Observations', async () => {
  const { manifest } = await runExport(`Group/${groupId}/$export?_type=Observation`);
  const readings = readingsIn(await linesOf(manifest, 'Observation'));

  assert.is(readings.length, OLD + NEW);
  assert.is(new Set(readings.map((r) => r.id)).size, OLD + NEW);
  assert.ok(readings.every((r) => r.subject.reference === `Patient/${P}`));
  assert.ok(readings.every((r) => r.category[0].coding[0].code === 'vital-signs'));
});

test('a Patient export honours _type and _since for device readings', async () => {
  const patientsOnly = await runExport('Patient/$export?_type=Patient');
  assert.ok(patientsOnly.manifest.output.every((o: Any) => o.type === 'Patient'));

  const since = await runExport('Patient/$export?_type=Observation&_since=2026-03-01T00:00:00Z');
  const readings = readingsIn(await linesOf(since.manifest, 'Observation'));
  assert.is(readings.length, NEW);
});

test('export files are sealed at rest, opened on download, and expire', async () => {
  const { statusUrl, manifest } = await runExport('Patient/$export?_type=Patient');
  const patients = await linesOf(manifest, 'Patient');
  const mine = patients.find((p) => p.id === P);
  assert.is(mine?.name[0].family, FAMILY, 'the download is opened');
  const stored = await t.db.query<{ body: string }>('select body from clinical.export_files');
  assert.ok(stored.rows.length > 0);
  assert.ok(
    stored.rows.every((r) => !r.body.includes(FAMILY)),
    'no family name at rest',
  );
  assert.ok(
    stored.rows.every((r) => !r.body.includes(P)),
    'no patient id at rest',
  );

  const job = statusUrl.split('/').pop() as string;
  await t.db.query(
    `update clinical.export_jobs set expires_at = now() - interval '1 minute' where id = $1`,
    [job],
  );
  assert.is((await fetch(manifest.output[0].url as string, { headers: auth() })).status, 410);
  assert.is((await fetch(statusUrl, { headers: auth() })).status, 410);
  const left = await t.db.query('select 1 from clinical.export_jobs where id = $1', [job]);
  assert.is(left.rows.length, 0, 'the expired job is purged');
});

test.run();
