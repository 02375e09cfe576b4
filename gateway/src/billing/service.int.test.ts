import { readFileSync } from 'node:fs';

import { createScratchDatabase, openDatabase, type Database } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { addDays } from './coding/days.js';
import type { DeviceDay } from './coding/inputs.js';
import { loadBillingConfig } from './config.js';
import type { BillingError } from './errors.js';
import { toFhirClaim, toFhirClaimResponse } from './fhir.js';
import { sampleConfig } from './fixtures/sample-config.js';
import type { BillingPatient } from './patients.js';
import { BillingService } from './service.js';
import { BillingStore } from './store/billing-store.js';

// BillingService over a real PostgreSQL: what a claim bills is recorded once, whatever the
// payer; 270s are kept to link their 271s; visit days fall in the practice's time zone.

const now = () => new Date('2026-05-02T09:00:00Z');
const person = {
  lastName: 'Doe',
  firstName: 'Jane',
  birthDate: '1948-02-17',
  sex: 'F' as const,
  address: { line1: '12 Elm Road', city: 'Springfield', state: 'IL', postalCode: '62702' },
};
const patient = (patientId: string, coverages: BillingPatient['coverages']): BillingPatient => ({
  patientId,
  person,
  coverages,
  diagnoses: ['I10', 'E11.9', 'I50.9'],
});
const medicare = { payerId: '12345', memberId: '1EG4TE5MK73', coverageId: 'cov-medicare' };
const commercial = { payerId: '67890', memberId: 'W123456789' };
const patients: Record<string, BillingPatient> = {
  twice: patient('twice', [medicare, commercial]),
  race: patient('race', [medicare]),
  denied: patient('denied', [medicare]),
  visits: patient('visits', [medicare]),
};
// Every patient reads on every day of March and April 2026.
const readings: DeviceDay[] = Array.from({ length: 61 }, (_, i) => ({
  day: addDays('2026-03-01', i),
  deviceId: 'cuff-1',
  readings: 1,
}));

function config() {
  const c = sampleConfig();
  c.payers.push({
    ...c.payers[0],
    payerId: '67890',
    name: 'Example Commercial Plan',
    claimFilingIndicator: 'CI',
  });

  return loadBillingConfig(c);
}

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Database;
let store: BillingStore;

// Holds each caller until `waiting` callers have asked for a claim id, which a submission
// does after reading everything it suggests from and before it stores the claim: so the
// concurrent submissions all see the month unbilled, and only the database can stop one.
let barrier: { waiting: number; release: (() => void)[] } | undefined;
function arrive(): Promise<void> {
  const b = barrier;
  if (b === undefined) {
    return Promise.resolve();
  }

  return new Promise((ok) => {
    b.release.push(ok);
    if (b.release.length === b.waiting) {
      b.release.forEach((go) => go());
    }
  });
}

class BarrierStore extends BillingStore {
  override async nextClaimId(): Promise<string> {
    await arrive();

    return super.nextClaimId();
  }
}

function service(timeZone?: string, on = store) {
  return new BillingService({
    store: on,
    config: config(),
    deviceDays: { deviceDays: () => Promise.resolve(readings) },
    patients: { getBillingPatient: (id) => Promise.resolve(patients[id]) },
    timeZone,
    now,
  });
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as BillingError).code;
  }

  return 'resolved';
}

test.before(async () => {
  scratch = await createScratchDatabase();
  db = await openDatabase({ url: scratch.url });
  store = await BillingStore.open({ db, now });
  for (const p of Object.keys(patients)) {
    await store.ledger.addEpisode({ id: `ep-${p}`, patientId: p, start: '2026-03-01' });
  }
});

test.after(async () => {
  await db.close();
  await scratch.drop();
});

test('a claimed period is never claimed again, not even with another payer', async () => {
  const billing = service();
  await billing.createClaim({ patientId: 'twice', month: '2026-03', payerId: '12345' });

  const again = await billing.suggest('twice', '2026-03', '67890');
  assert.equal(
    again.suggestions.map((s) => [s.code, s.status]),
    [
      ['99453', 'billed'],
      ['99454', 'billed'],
    ],
  );
  assert.match(again.suggestions[1].explanation, /already billed as 99454 on claim SD-2026-\d+/);
  assert.is(
    await code(billing.createClaim({ patientId: 'twice', month: '2026-03', payerId: '67890' })),
    'INVALID_INPUT',
    'nothing ready to bill',
  );
  // the store refuses it too, whoever asks
  const [first] = await store.listClaims({ patientId: 'twice' });
  const copy = { ...first.claim, id: 'SD-2026-999999', payer: { ...first.claim.payer } };
  assert.is(await code(store.createClaim(copy, first.suggestions)), 'ALREADY_BILLED');
  assert.is((await store.listClaims({ patientId: 'twice' })).length, 1);
});

test('two concurrent submissions of one month: one claim, the other ALREADY_BILLED', async () => {
  const billing = service(undefined, new BarrierStore({ db, now }));
  const req = { patientId: 'race', month: '2026-03', payerId: '12345' };

  barrier = { waiting: 2, release: [] };
  const outcomes = await Promise.all([
    code(billing.createClaim(req)),
    code(billing.createClaim(req)),
  ]);
  barrier = undefined;

  assert.equal(outcomes.sort(), ['ALREADY_BILLED', 'resolved']);
  assert.is((await store.listClaims({ patientId: 'race' })).length, 1);
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from billing.billed_services where patient_id = 'race'`,
  );
  assert.is(rows[0].n, 2, '99453 and 99454, once');
});

test('a denied claim frees its services for a corrected claim', async () => {
  const billing = service();
  const claim = await billing.createClaim({
    patientId: 'denied',
    month: '2026-03',
    payerId: '12345',
  });
  const total = (claim.totalCents / 100).toFixed(2);
  const remit = readFileSync(new URL('./fixtures/remit-paid-denied.835', import.meta.url), 'utf8')
    .split('\n')
    .filter(
      (l) => !/^(CLP\*SD-2026-000001|NM1|DTM\*050|SVC|DTM\*472|CAS|REF\*6R|AMT|LQ|PLB)/.test(l),
    )
    .join('\n')
    .replace('CLP*SD-2026-000002*4*52*0**', `CLP*${claim.id}*4*${total}*0**`)
    .replace(/CLP\*[^\n]*\n/, (clp) => `${clp}CAS*CO*50*${total}~\n`)
    .replace('BPR*I*77.25*', 'BPR*I*0*');
  const segments = remit.split('\n').filter((l) => /^[A-Z0-9]{2,3}\*/.test(l));
  const st = segments.findIndex((l) => l.startsWith('ST*'));
  const se = segments.findIndex((l) => l.startsWith('SE*'));
  const fixed = remit.replace(/SE\*\d+\*/, `SE*${se - st + 1}*`);

  const posted = await store.post835(fixed);

  assert.equal(
    posted.posted.map((p) => p.status),
    ['denied'],
  );
  const after = await billing.suggest('denied', '2026-03', '12345');
  assert.ok(
    after.suggestions.every((s) => s.status === 'ready'),
    JSON.stringify(after),
  );
  const rebilled = await billing.createClaim({
    patientId: 'denied',
    month: '2026-03',
    payerId: '12345',
  });
  assert.is.not(rebilled.id, claim.id);
  // [FHIR R4 RemittanceOutcome] a denial is adjudicated: outcome complete, not error
  const denied = await store.getClaim(claim.id);
  assert.is(toFhirClaimResponse(denied, []).outcome, 'complete');
});

test('suggest without a payer uses the one contracted Coverage, never the first contract', async () => {
  const billing = service();

  assert.is(await code(billing.suggest('twice', '2026-04')), 'INVALID_INPUT');
  assert.ok((await billing.suggest('race', '2026-04')).suggestions.length > 0);
});

test('an evening visit in New York counts on its New York day, across UTC midnight', async () => {
  // 2026-03-31 21:30 in New York is 2026-04-01 01:30 UTC
  await store.ledger.recordVisit({
    visitId: 'v-evening',
    patientId: 'visits',
    clinicianId: 'dr-1',
    startedAt: '2026-04-01T01:30:00Z',
    endedAt: '2026-04-01T02:00:00Z',
    durationMinutes: 25,
    video: true,
    patientLocation: 'home',
    newPatient: false,
  });

  const ny = await service('America/New_York').suggest('visits', '2026-03', '12345');
  const utc = await service().suggest('visits', '2026-03', '12345');

  const visit = ny.suggestions.find((s) => s.code === '99213');
  assert.is(visit?.dateOfService, '2026-03-31');
  assert.is(visit?.placeOfService, '10');
  assert.is(
    utc.suggestions.find((s) => s.code === '99213'),
    undefined,
    'in UTC it is an April visit',
  );
  assert.throws(() => service('Mars/Olympus'), /"timeZone" must be an IANA time zone/);
});

test('claim POS from its services, per-line diagnosis pointers, the real Coverage', async () => {
  const billing = service('America/New_York');

  const claim = await billing.createClaim({
    patientId: 'visits',
    month: '2026-03',
    payerId: '12345',
    lineDiagnoses: { '99454': ['I10', 'I50.9'] },
  });

  const lines = Object.fromEntries(claim.claim.lines.map((l) => [l.code, l]));
  assert.is(claim.claim.placeOfService, '11', 'RPM lines: the practice POS');
  assert.is(lines['99213'].placeOfService, '10', 'the visit line keeps its own');
  assert.equal(lines['99454'].diagnosisPointers, [1, 3]);
  assert.equal(lines['99453'].diagnosisPointers, [1], 'the primary diagnosis only');
  const fhir = toFhirClaim(claim) as unknown as {
    insurance: { coverage: { reference: string } }[];
  };
  assert.is(fhir.insurance[0].coverage.reference, 'Coverage/cov-medicare');
});

test('a 271 is linked back to the 270 that asked, and so is its worklist item', async () => {
  const billing = service();
  const x12 = await billing.eligibilityRequest('race', '12345', '2026-05-01');
  const trace = /TRN\*1\*([^*~]+)\*/.exec(x12)![1];
  const rejected = readFileSync(
    new URL('./fixtures/eligibility-rejected.271', import.meta.url),
    'utf8',
  ).replace('TRN*2*E000124*', `TRN*2*${trace}*`);

  const answer = await billing.eligibilityResponse(rejected);

  assert.equal(answer.inquiry, {
    traceNumber: trace,
    patientId: 'race',
    payerId: '12345',
    memberId: medicare.memberId,
    serviceDate: '2026-05-01',
    interchangeControl: Number(trace.slice(1)),
  });
  const item = (await store.listWorklist()).find((w) => w.details.traceNumber === trace);
  assert.is(item?.details.patientId, 'race');
  assert.is(item?.details.memberId, medicare.memberId);
  const unknown = await billing.eligibilityResponse(
    rejected.replace(`TRN*2*${trace}*`, 'TRN*2*E999999999*'),
  );
  assert.is(unknown.inquiry, undefined);
});

test.run();
