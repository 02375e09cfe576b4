import { readFileSync } from 'node:fs';

import { openDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from '../claim.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { BillingStore } from './billing-store.js';

const remit = readFileSync(new URL('../fixtures/remit-paid-denied.835', import.meta.url), 'utf8');
const now = () => new Date('2026-04-16T10:00:00Z');

test('PGlite (the embedded default): migrations, claims and posting work the same', async () => {
  const embedded = await openDatabase();
  try {
    const local = await BillingStore.open({ db: embedded, now });
    await local.createClaim(scrubClaim(sampleClaimDraft()));
    const second = sampleClaimDraft();
    second.id = 'SD-2026-000002';
    second.lines = [second.lines[1]];
    await local.createClaim(scrubClaim(second));
    const summary = await local.post835(remit);
    assert.equal(
      summary.posted.map((p) => p.status),
      ['paid', 'denied'],
    );
    const a = await local.nextControlNumbers();
    const b = await local.nextControlNumbers();
    assert.is(b.interchange, a.interchange + 1);
  } finally {
    await embedded.close();
  }
});

test.run();
