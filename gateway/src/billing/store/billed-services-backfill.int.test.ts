import { createScratchDatabase, openDatabase, runMigrations } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from '../claim.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { BillingStore } from './billing-store.js';
import { billingMigrations } from './migrations.js';

// Claims stored before `billing.billed_services` existed: the migration that adds it
// records what they bill, so an upgrade cannot open the door to a second claim.

const suggestion = (code: string, from: string, to: string) => ({
  code,
  units: 1,
  modifiers: [],
  dateOfService: to,
  status: 'ready',
  rule: 'R',
  explanation: code,
  period: { from, to },
});

test('0005 backfills live claims, first claim first, and skips denied ones', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await runMigrations(db, { schema: 'billing', migrations: billingMigrations.slice(0, 4) });
    const insert = async (id: string, status: string, at: string) => {
      const claim = scrubClaim({ ...sampleClaimDraft(), id });
      await db.query(
        `insert into billing.claims (id, patient_id, payer_id, status, total_cents, claim,
           suggestions, created_at, updated_at) values ($1, 'p1', '12345', $2, 11700, $3, $4, $5, $5)`,
        [
          id,
          status,
          JSON.stringify(claim),
          JSON.stringify([
            suggestion('99454', '2026-03-01', '2026-03-30'),
            suggestion('99457', '2026-03-01', '2026-03-31'),
          ]),
          at,
        ],
      );
    };
    await insert('SD-OLD-1', 'denied', '2026-04-01T00:00:00Z');
    await insert('SD-OLD-2', 'submitted', '2026-04-02T00:00:00Z');
    await insert('SD-OLD-3', 'ready', '2026-04-03T00:00:00Z');

    const store = await BillingStore.open({ db });

    const held = await store.listBilledServices('p1', '2026-03-01', '2026-03-31');
    assert.equal(held.map((b) => [b.claimId, b.code, b.slot, b.serviceKey]).sort(), [
      ['SD-OLD-2', '99454', 'supply', '2026-03-01'],
      ['SD-OLD-2', '99457', 'tm', '2026-03-01'],
    ]);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test.run();
