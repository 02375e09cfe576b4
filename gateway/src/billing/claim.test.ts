import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from './claim.js';
import { BillingError } from './errors.js';
import { sampleClaimDraft } from './fixtures/sample-claim.js';
import { toBillingOutcome } from './outcome.js';

function scrubIssues(draft: unknown): readonly string[] {
  try {
    scrubClaim(draft);
  } catch (error) {
    assert.instance(error, BillingError, String(error));
    assert.is((error as BillingError).code, 'SCRUB_FAILED');

    return (error as BillingError).issues;
  }
  throw new Error('expected SCRUB_FAILED');
}

test('the billing provider needs a nine-digit ZIP [837P 2010AA N403]; a patient may have five', () => {
  const draft = sampleClaimDraft();
  draft.billingProvider.address.postalCode = '62701';

  assert.equal(scrubIssues(draft), [
    'billingProvider.address.postalCode: must be a nine-digit ZIP+4 code',
  ]);
  assert.is(sampleClaimDraft().subscriber.address.postalCode, '62702');
  scrubClaim(sampleClaimDraft());
});

test('a delimiter inside any element is SCRUB_FAILED (422), never a TypeError', () => {
  const draft = sampleClaimDraft();
  draft.subscriber.lastName = "O'Neil*Smith";
  draft.subscriber.address.line1 = '12 Elm Road~';
  draft.billingProvider.name = 'Spark Den: Cardiology';
  draft.renderingProvider!.firstName = 'An^a';
  draft.subscriber.memberId = '1EG4\nTE5';
  draft.lines[0].explanation = 'explanations stay with us: never sent, so any text goes';

  const issues = scrubIssues(draft);

  assert.equal(
    issues.map((i) => i.split(':')[0]),
    [
      'billingProvider.name',
      'renderingProvider.firstName',
      'subscriber.lastName',
      'subscriber.address.line1',
      'subscriber.memberId',
    ],
  );
  const mapped = toBillingOutcome(new BillingError('SCRUB_FAILED', 'claim is incomplete', issues));
  assert.is(mapped?.status, 422);
});

test.run();
