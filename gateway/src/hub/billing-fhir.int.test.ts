import { readFileSync } from 'node:fs';

import { createScratchDatabase, openDatabase, type Database } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { BillingStore, scrubClaim } from '../billing/index.js';
import { sampleClaimDraft } from '../billing/fixtures/sample-claim.js';
import { billingFhirSource } from './billing-fhir.js';

// The billing store as a FHIR source, over PostgreSQL, after a real 835 was posted.

const remit = readFileSync(
  new URL('../billing/fixtures/remit-paid-denied.835', import.meta.url),
  'utf8',
);

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Database;
let store: BillingStore;

test.before(async () => {
  scratch = await createScratchDatabase();
  db = await openDatabase({ url: scratch.url });
  store = await BillingStore.open({ db, now: () => new Date('2026-04-16T10:00:00Z') });
  const first = sampleClaimDraft();
  await store.createClaim(scrubClaim(first));
  const second = sampleClaimDraft();
  second.id = 'SD-2026-000002';
  second.patientId = 'p2';
  second.lines = [second.lines[1]];
  await store.createClaim(scrubClaim(second));
  const third = sampleClaimDraft();
  third.id = 'SD-2026-000003';
  await store.createClaim(scrubClaim(third));
  await store.post835(remit);
});

test.after(async () => {
  await db.close();
  await scratch.drop();
});

test('Claim for every claim; ClaimResponse and ExplanationOfBenefit once adjudicated', async () => {
  const source = billingFhirSource(store);
  const patient = sampleClaimDraft().patientId;

  const claim = await source.read('Claim', 'SD-2026-000001');
  assert.is(claim?.resource.resourceType, 'Claim');
  assert.is(claim?.patientId, patient);
  const response = await source.read('ClaimResponse', 'SD-2026-000001-response');
  assert.is(response?.resource.resourceType, 'ClaimResponse');
  assert.ok(Array.isArray(response?.resource.adjudication));
  const eob = await source.read('ExplanationOfBenefit', 'SD-2026-000002-eob');
  assert.is(eob?.patientId, 'p2');

  assert.is(await source.read('ClaimResponse', 'SD-2026-000003-response'), undefined, 'unpaid');
  assert.is(await source.read('Claim', 'SD-2026-000001-eob'), undefined);
  assert.is(await source.read('ExplanationOfBenefit', 'SD-2026-000001'), undefined);
});

test('search: totals counted in SQL, pages, patient and _id filters', async () => {
  const source = billingFhirSource(store);
  const patient = sampleClaimDraft().patientId;

  const all = await source.search('Claim', { count: 2, offset: 0 });
  assert.is(all.total, 3);
  assert.is(all.resources.length, 2);
  const rest = await source.search('Claim', { count: 2, offset: 2 });
  assert.is(rest.resources.length, 1);
  const mine = await source.search('ExplanationOfBenefit', {
    patientId: patient,
    count: 10,
    offset: 0,
  });
  assert.is(mine.total, 1, 'the unpaid third claim has no EOB');
  assert.equal(
    mine.resources.map((r) => r.resource.id),
    ['SD-2026-000001-eob'],
  );
  const byId = await source.search('ClaimResponse', {
    ids: ['SD-2026-000002-response'],
    count: 10,
    offset: 0,
  });
  assert.equal(
    byId.resources.map((r) => r.patientId),
    ['p2'],
  );
  const counted = await source.search('Claim', { patientId: 'p2', count: 0, offset: 0 });
  assert.equal([counted.total, counted.resources.length], [1, 0]);
});

test.run();
