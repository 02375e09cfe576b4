import { readFileSync } from 'node:fs';

import { createScratchDatabase, openDatabase, type Database } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from '../claim.js';
import { BillingError, X12Error } from '../errors.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { BillingStore } from './billing-store.js';

const remit = readFileSync(new URL('../fixtures/remit-paid-denied.835', import.meta.url), 'utf8');
const now = () => new Date('2026-04-16T10:00:00Z');

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Database;
let store: BillingStore;

test.before(async () => {
  scratch = await createScratchDatabase();
  db = await openDatabase({ url: scratch.url });
  store = await BillingStore.open({ db, now });
});

test.after(async () => {
  await db.close();
  await scratch.drop();
});

async function counts() {
  const { rows } = await db.query<{ r: number; p: number; a: number; w: number }>(
    `select (select count(*) from billing.remittances) r, (select count(*) from billing.payments) p,
            (select count(*) from billing.adjustments) a, (select count(*) from billing.worklist) w`,
  );

  return rows[0];
}

test('control numbers never repeat, even across stores and concurrent callers', async () => {
  const first = await Promise.all(Array.from({ length: 50 }, () => store.nextControlNumbers()));
  const again = await BillingStore.open({ db, now });
  const second = await Promise.all(Array.from({ length: 50 }, () => again.nextControlNumbers()));
  const all = [...first, ...second].map((c) => c.interchange);
  assert.is(new Set(all).size, 100);
  assert.ok(all.every((n) => n >= 1 && n <= 999_999_999));
});

test('claims: create, get, list; the second claim totals 52.00', async () => {
  await store.createClaim(scrubClaim(sampleClaimDraft()));
  const second = sampleClaimDraft();
  second.id = 'SD-2026-000002';
  second.patientId = 'p2';
  second.lines = [second.lines[1]];
  // 60.00, not the 52.00 the 835 says: the first posting attempt must be refused
  second.lines[0].chargeCents = 6000;
  await store.createClaim(scrubClaim(second));
  assert.is((await store.getClaim('SD-2026-000001')).totalCents, 11700);
  assert.equal(
    (await store.listClaims({ patientId: 'p2' })).map((c) => c.id),
    ['SD-2026-000002'],
  );
  try {
    await store.getClaim('nope');
    assert.unreachable();
  } catch (e) {
    assert.is((e as BillingError).code, 'NOT_FOUND');
  }
});

test('a mismatch found after the first claim was posted rolls the whole 835 back', async () => {
  const before = await counts();
  try {
    await store.post835(remit);
    assert.unreachable('must refuse');
  } catch (e) {
    assert.instance(e, BillingError);
    assert.is((e as BillingError).code, 'POSTING_MISMATCH');
    assert.match((e as Error).message, /SD-2026-000002 \(segment 30\)/);
  }
  assert.equal(await counts(), before, 'no remittance, payment, adjustment or worklist row');
  const first = await store.getClaim('SD-2026-000001');
  assert.equal([first.status, first.paidCents], ['ready', 0], 'the first claim was not posted');
});

test('a broken 835 posts nothing and names the segment', async () => {
  const before = await counts();
  const broken = remit.replace('SVC*HC:99457*52*0**1~', 'SVC*HC:99457*52*zero**1~');
  try {
    await store.post835(broken);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, X12Error);
    assert.equal((e as X12Error).position, { segmentId: 'SVC', segmentIndex: 33, element: 3 });
  }
  assert.equal(await counts(), before);
});

test('posting: paid claim, denied claim into the worklist, CAS adjustments kept', async () => {
  await db.query(`update billing.claims set total_cents = 5200 where id = 'SD-2026-000002'`);
  const summary = await store.post835(remit);
  assert.equal(summary.posted, [
    { claimId: 'SD-2026-000001', status: 'paid', paidCents: 7600 },
    { claimId: 'SD-2026-000002', status: 'denied', paidCents: 0 },
  ]);
  assert.is(summary.paymentCents, 7725);
  const paid = await store.getClaim('SD-2026-000001');
  assert.equal(
    [paid.status, paid.paidCents, paid.patientResponsibilityCents, paid.payerClaimNumber],
    ['paid', 7600, 1900, '2026104000001'],
  );
  const payments = await store.listPayments('SD-2026-000001');
  assert.equal(
    payments[0].adjustments.map((a) => `${a.group}-${a.reason}:${a.amountCents}`),
    ['CO-45:1800', 'PR-2:940', 'CO-45:400', 'PR-2:960'],
  );
  const work = await store.listWorklist();
  assert.equal(
    work.map((w) => [w.kind, w.claimId]),
    [['denial', 'SD-2026-000002']],
  );
  assert.match(work[0].reason, /CO-50/);
  const done = await store.resolveWorklistItem(work[0].id, 'clerk-1');
  assert.is(done.resolvedBy, 'clerk-1');
  assert.equal(await store.listWorklist(), []);
});

test('the same 835 twice is refused and changes nothing', async () => {
  const before = await counts();
  try {
    await store.post835(remit);
    assert.unreachable();
  } catch (e) {
    assert.is((e as BillingError).code, 'DUPLICATE_REMITTANCE');
  }
  assert.equal(await counts(), before);
  assert.is((await store.getClaim('SD-2026-000001')).paidCents, 7600);
});

test('a partial payment and an unknown claim open worklist items', async () => {
  const third = sampleClaimDraft();
  third.id = 'SD-2026-000003';
  await store.createClaim(scrubClaim(third));
  const partial = remit
    .replaceAll('SD-2026-000001', 'SD-2026-000003')
    .replaceAll('SD-2026-000002', 'SD-2026-999999')
    .replace('EFT0000451', 'EFT0000452')
    .replace('CLP*SD-2026-000003*1*117*76*19', 'CLP*SD-2026-000003*1*117*37.6*9.4')
    .replace(
      'SVC*HC:99457*52*38.4**1~\nDTM*472*20260331~\nCAS*CO*45*4~\nCAS*PR*2*9.6~',
      'SVC*HC:99457*52*0**1~\nDTM*472*20260331~\nCAS*CO*97*52~',
    )
    .replace('BPR*I*77.25', 'BPR*I*38.85')
    .replace(/SE\*37\*/, 'SE*36*');
  const summary = await store.post835(partial);
  assert.equal(
    summary.posted.map((p) => p.status),
    ['partially-paid'],
  );
  const open = await store.listWorklist();
  assert.equal(open.map((w) => w.kind).sort(), ['partial', 'unmatched']);
  assert.match(open.find((w) => w.kind === 'partial')!.reason, /CO-97/);
});

test('minutes ledger and visits round-trip', async () => {
  await store.ledger.addEpisode({ id: 'ep1', patientId: 'p1', start: '2026-03-01' });
  await store.ledger.addMinutes({
    id: 'm1',
    patientId: 'p1',
    clinicianId: 'c1',
    occurredAt: '2026-03-03T15:00:00.000Z',
    day: '2026-03-03',
    minutes: 12.5,
    kind: 'audio',
    interactionEvidence: 'call-9',
  });
  await store.ledger.addMinutes({
    id: 'm1',
    patientId: 'p1',
    clinicianId: 'c1',
    occurredAt: '2026-03-03T15:00:00.000Z',
    day: '2026-03-03',
    minutes: 99,
    kind: 'audio',
  });
  await store.ledger.recordVisit({
    visitId: 'v1',
    patientId: 'p1',
    clinicianId: 'c1',
    startedAt: '2026-03-05T14:00:00.000Z',
    endedAt: '2026-03-05T14:25:00.000Z',
    durationMinutes: 25,
    video: true,
    patientLocation: 'home',
    newPatient: false,
  });
  assert.equal(await store.ledger.listEpisodes('p1'), [
    { id: 'ep1', patientId: 'p1', start: '2026-03-01', end: undefined },
  ]);
  const minutes = await store.ledger.listMinutes('p1', '2026-03-01', '2026-03-31');
  assert.equal(
    minutes.map((m) => [m.id, m.minutes, m.interactionEvidence]),
    [['m1', 12.5, 'call-9']],
  );
  assert.is((await store.ledger.listVisits('p1', '2026-03-05', '2026-03-05')).length, 1);
  assert.is((await store.ledger.listVisits('p1', '2026-03-06', '2026-03-31')).length, 0);
});

test.run();
