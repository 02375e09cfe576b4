import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { feeFor, loadBillingConfig, payerContract } from './config.js';
import { BillingError } from './errors.js';
import { sampleConfig } from './fixtures/sample-config.js';

test('a valid configuration loads with defaults filled in', () => {
  const config = loadBillingConfig(sampleConfig());
  const payer = payerContract(config, '12345');
  assert.is(payer.timelyFilingDays, 365);
  assert.is(payer.telehealth.posHome, '10');
});

test('interactive time: defaults when absent, a minimum above the maximum named', () => {
  const config = loadBillingConfig(sampleConfig());
  assert.equal(config.interactiveTime, {
    messageReplyWindowMinutes: 10,
    messageExchangeMinimumMinutes: 5,
    messageExchangeMaximumMinutes: 15,
  });
  const inverted = { ...sampleConfig(), interactiveTime: { messageExchangeMinimumMinutes: 20 } };
  try {
    loadBillingConfig(inverted);
    assert.unreachable('a minimum above the maximum must be refused');
  } catch (e) {
    assert.instance(e, BillingError);
    assert.ok(
      (e as BillingError).issues.some((i) =>
        i.startsWith('interactiveTime.messageExchangeMinimumMinutes: '),
      ),
      (e as BillingError).issues.join(' | '),
    );
  }
});

test('fee schedule picks the entry in force and the exact modifiers first', () => {
  const payer = payerContract(loadBillingConfig(sampleConfig()), '12345');
  assert.is(feeFor(payer, '99454', [], '2026-03-30').chargeCents, 6500);
  assert.is(feeFor(payer, '99454', [], '2025-12-30').chargeCents, 6000);
  assert.is(feeFor(payer, '99213', ['95'], '2026-03-05').chargeCents, 14000);
  assert.is(feeFor(payer, '99213', [], '2026-03-05').chargeCents, 12000);
  assert.throws(
    () => feeFor(payer, '99091', [], '2026-03-05'),
    (e: unknown) => (e as BillingError).code === 'NOT_FOUND',
  );
});

test('a bad configuration names each bad field', () => {
  const bad = sampleConfig() as unknown as {
    payers: Record<string, unknown>[];
    billingProvider: Record<string, unknown>;
  };
  bad.billingProvider.npi = '1234567890';
  delete bad.payers[0].receiver;
  (bad.payers[0].fees as Record<string, unknown>[])[0].chargeCents = -5;
  bad.payers.push({ ...bad.payers[0] });
  try {
    loadBillingConfig(bad);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BillingError);
    const issues = (e as BillingError).issues;
    assert.is((e as BillingError).code, 'INVALID_CONFIG');
    assert.ok(issues.includes('billingProvider.npi: must be a valid NPI'), issues.join(' | '));
    assert.ok(issues.includes('payers.0.receiver: missing'), issues.join(' | '));
    assert.ok(
      issues.some((i) => i.startsWith('payers.0.fees.0.chargeCents:')),
      issues.join(' | '),
    );
  }
});

test('overlapping fees and duplicate payers are refused', () => {
  const dup = sampleConfig();
  dup.payers.push(structuredClone(dup.payers[0]));
  dup.payers[0].fees.push({ code: '99454', chargeCents: 1, effectiveFrom: '2026-06-01' });
  try {
    loadBillingConfig(dup);
    assert.unreachable();
  } catch (e) {
    const issues = (e as BillingError).issues;
    assert.ok(
      issues.some((i) => /payers\.1\.payerId: duplicate payer 12345/.test(i)),
      issues.join(' | '),
    );
    assert.ok(
      issues.some((i) => /fees\.\d+: overlaps another 99454 fee/.test(i)),
      issues.join(' | '),
    );
  }
});

test.run();
