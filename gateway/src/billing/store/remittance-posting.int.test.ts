import { createScratchDatabase, openDatabase, type Database } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from '../claim.js';
import type { BillingError } from '../errors.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { claimStatus, interchange, payment, remittance } from '../fixtures/x12-builder.js';
import { parse277 } from '../x12/claim-status.js';
import { BillingStore } from './billing-store.js';

// Posting 835s and 277s: several sets in one transaction, the status each CLP02 and STC
// leads to, what reaches the worklist, and the paid amount of each line.

const now = () => new Date('2026-04-16T10:00:00Z');
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let db: Database;
let store: BillingStore;

// A claim of 117.00: 99454 at 65.00 and 99457 at 52.00 (the sample claim).
async function claim(id: string): Promise<void> {
  const draft = sampleClaimDraft();
  draft.id = id;
  await store.createClaim(scrubClaim(draft));
}

const paid = (id: string, pay = '76') => [
  `CLP*${id}*1*117*${pay}*19*MB*PCN-${id}*11*1~`,
  'SVC*HC:99454*65*37.6**1~',
  'CAS*CO*45*18~',
  'CAS*PR*2*9.4~',
  `REF*6R*${id}-1~`,
  'SVC*HC:99457*52*38.4**1~',
  'CAS*CO*45*4~',
  'CAS*PR*2*9.6~',
  `REF*6R*${id}-2~`,
];

async function count(table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from billing.${table}`);

  return rows[0].n;
}

const openItems = async (id: string) =>
  (await store.listWorklist()).filter((w) => w.claimId === id).map((w) => w.kind);

test.before(async () => {
  scratch = await createScratchDatabase();
  db = await openDatabase({ url: scratch.url });
  store = await BillingStore.open({ db, now });
  for (const id of ['SD-A', 'SD-B', 'SD-C', 'SD-DED', 'SD-DEN', 'SD-REV', 'SD-277']) {
    await claim(id);
  }
});

test.after(async () => {
  await db.close();
  await scratch.drop();
});

test('a failing second set rolls back the first: nothing posted half-way', async () => {
  // the second set's CLP03 (100.00) is not SD-B's total (117.00)
  const text = interchange('835', '005010X221A1', [
    [payment('EFT-1', '76', [paid('SD-A')])],
    [payment('EFT-2', '0', [['CLP*SD-B*4*100*0**MB*PCN*11*1~', 'CAS*CO*50*100~']])],
  ]);

  try {
    await store.post835(text);
    assert.unreachable();
  } catch (error) {
    assert.is((error as BillingError).code, 'POSTING_MISMATCH');
  }

  assert.equal([await count('remittances'), await count('payments')], [0, 0]);
  assert.is((await store.getClaim('SD-A')).status, 'ready');
});

test('two 835 sets post together, each as its own remittance, with line paid amounts', async () => {
  const text = remittance(
    payment('EFT-3', '76', [paid('SD-A')]),
    payment('EFT-4', '76', [paid('SD-B')]),
  );

  const summary = await store.post835(text);

  assert.equal(
    summary.remittances.map((r) => [r.traceNumber, r.paymentCents]),
    [
      ['EFT-3', 7600],
      ['EFT-4', 7600],
    ],
  );
  assert.is(summary.paymentCents, 15200);
  assert.equal(
    summary.posted.map((p) => [p.claimId, p.status]),
    [
      ['SD-A', 'paid'],
      ['SD-B', 'paid'],
    ],
  );
  const { rows } = await db.query<{ line_ref: string; paid_cents: string; units: string }>(
    `select l.line_ref, l.paid_cents, l.units from billing.payment_lines l
       join billing.payments p on p.id = l.payment_id where p.claim_id = 'SD-A' order by l.id`,
  );
  assert.equal(
    rows.map((r) => [r.line_ref, Number(r.paid_cents), Number(r.units)]),
    [
      ['SD-A-1', 3760, 1],
      ['SD-A-2', 3840, 1],
    ],
  );
});

test('paid 0 with the whole amount a deductible (PR-1) is processed, not a denial', async () => {
  const deductible = [
    'CLP*SD-DED*1*117*0*117*MB*PCN-DED*11*1~',
    'SVC*HC:99454*65*0**1~',
    'CAS*PR*1*65~',
    'SVC*HC:99457*52*0**1~',
    'CAS*PR*1*52~',
  ];

  const summary = await store.post835(remittance(payment('EFT-5', '0', [deductible])));

  assert.equal(
    summary.posted.map((p) => p.status),
    ['paid'],
  );
  assert.equal(await openItems('SD-DED'), [], 'not on the denial worklist');
  const stored = await store.getClaim('SD-DED');
  assert.equal([stored.paidCents, stored.patientResponsibilityCents], [0, 11700]);
});

test('CLP02 4 is a denial and 22 a reversal, each on the worklist', async () => {
  const denied = ['CLP*SD-DEN*4*117*0**MB*PCN-DEN*11*1~', 'CAS*CO*50*117~'];
  await store.post835(remittance(payment('EFT-6', '0', [denied])));
  await store.post835(remittance(payment('EFT-7', '76', [paid('SD-REV')])));
  // [X12 835 CLP02 22: reversal of previous payment] negative amounts, balanced
  const reversal = [
    'CLP*SD-REV*22*-117*-76*-19*MB*PCN-SD-REV*11*1~',
    'CAS*CO*45*-22~',
    'CAS*PR*2*-19~',
  ];

  const summary = await store.post835(remittance(payment('EFT-8', '-76', [reversal])));

  assert.equal(
    summary.posted.map((p) => p.status),
    ['reversed'],
  );
  assert.equal(
    [(await store.getClaim('SD-DEN')).status, await openItems('SD-DEN')],
    ['denied', ['denial']],
  );
  assert.equal(
    [(await store.getClaim('SD-REV')).status, await openItems('SD-REV')],
    ['reversed', ['reversal']],
  );
});

test('a 277 never moves a claim an 835 paid; a 277 denial (F2, F4) reaches the worklist', async () => {
  const answers = parse277(
    interchange('277', '005010X212', [
      [claimStatus('SD-A', 'F2:88'), claimStatus('SD-277', 'F4:88')],
    ]),
  );

  const summary = await store.applyClaimStatus(answers);

  assert.equal(
    summary.applied.map((a) => [a.claimId, a.previousStatus, a.status]),
    [
      ['SD-A', 'paid', 'paid'],
      ['SD-277', 'ready', 'denied'],
    ],
  );
  assert.equal(
    (await store.listClaimStatus('SD-A')).map((h) => h.category),
    ['F2'],
  );
  assert.equal(await openItems('SD-A'), []);
  assert.equal(await openItems('SD-277'), ['denial']);
});

test.run();
