import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadBillingConfig, messageRuleOf } from '../config.js';
import { sampleConfig } from '../fixtures/sample-config.js';
import { minutesFromCommunications, type CommunicationFact } from './communications.js';
import type { MinutesEntry } from './inputs.js';
import { suggestTreatmentManagement } from './treatment-management.js';

// Secure messages and the "interactive communication" treatment management needs: per
// payer, and credited from the clinician time recorded on them when there is some.

const RULE = {
  messageReplyWindowMinutes: 10,
  messageExchangeMinimumMinutes: 5,
  messageExchangeMaximumMinutes: 15,
};
const DR = { side: 'clinician' as const, clinicianId: 'dr-1' };
const PT = { side: 'patient' as const };
const message = (id: string, sent: string, from: 'dr' | 'pt', clinicianMinutes?: number) =>
  ({
    id,
    patientId: 'p1',
    sent,
    sender: from === 'dr' ? DR : PT,
    recipients: [from === 'dr' ? PT : DR],
    phone: false,
    ...(clinicianMinutes === undefined ? {} : { clinicianMinutes }),
  }) satisfies CommunicationFact;

const entry = (id: string, minutes: number, kind: MinutesEntry['kind']): MinutesEntry => ({
  id,
  patientId: 'p1',
  clinicianId: 'dr-1',
  occurredAt: '2026-03-10T15:00:00Z',
  day: '2026-03-10',
  minutes,
  kind,
  interactionEvidence: kind === 'review' ? undefined : `${kind}-evidence`,
});
const month = (entries: MinutesEntry[], messages?: 'need-audio-video' | 'count-as-interaction') =>
  suggestTreatmentManagement({
    patientId: 'p1',
    month: '2026-03',
    entries,
    now: new Date('2026-05-01T00:00:00Z'),
    messages,
  });

test('Medicare-like payers: messages alone are no interaction, beside a call they are time', () => {
  const onlyMessages = month([entry('m1', 15, 'message'), entry('r1', 10, 'review')]);
  assert.equal(onlyMessages.suggestions, []);
  assert.match(
    onlyMessages.notes.join(' '),
    /only interaction is secure messaging.*MSG-NEEDS-AUDIO-VIDEO/,
  );

  const withCall = month([entry('m1', 15, 'message'), entry('c1', 5, 'audio')]);
  assert.equal(
    withCall.suggestions.map((s) => [s.code, s.minutes]),
    [['99457', 20]],
  );
  assert.match(withCall.suggestions[0].explanation, /MSG-NEEDS-AUDIO-VIDEO/);
});

test('a payer that takes a two-way exchange as interaction codes messages alone', () => {
  const r = month([entry('m1', 15, 'message')], 'count-as-interaction');

  assert.equal(
    r.suggestions.map((s) => s.code),
    ['99470'],
  );
  assert.match(r.suggestions[0].explanation, /MSG-AS-INTERACTION/);
});

test('the rule is per payer: Medicare-like by default needs audio/video, a contract may say', () => {
  const config = sampleConfig();
  config.payers.push(
    { ...config.payers[0], payerId: 'COMM', claimFilingIndicator: 'CI' },
    { ...config.payers[0], payerId: 'MA', claimFilingIndicator: '16' },
    { ...config.payers[0], payerId: 'MB2', messages: 'count-as-interaction' },
  );

  const rules = loadBillingConfig(config).payers.map((p) => [p.payerId, messageRuleOf(p)]);

  assert.equal(rules, [
    ['12345', 'need-audio-video'],
    ['COMM', 'count-as-interaction'],
    ['MA', 'need-audio-video'],
    ['MB2', 'count-as-interaction'],
  ]);
});

test('an exchange credits the clinician time recorded on it, not its span', () => {
  const recorded = minutesFromCommunications(
    [
      message('a', '2026-03-10T15:00:00Z', 'dr', 3),
      message('b', '2026-03-10T15:02:00Z', 'pt'),
      message('c', '2026-03-10T15:09:00Z', 'dr', 4.5),
    ],
    RULE,
  );
  const spanned = minutesFromCommunications(
    [message('a', '2026-03-10T15:00:00Z', 'dr'), message('b', '2026-03-10T15:09:00Z', 'pt')],
    RULE,
  );

  assert.is(recorded[0].minutes, 7.5);
  assert.match(
    recorded[0].interactionEvidence!,
    /MSG-RECORDED-TIME.*2 message\(s\) is 7.5 min \(span 9 min not used\)/,
  );
  assert.is(spanned[0].minutes, 9);
  assert.match(spanned[0].interactionEvidence!, /MSG-EXCHANGE.*no clinician time recorded/);
});

test('an exchange falls on its day in the practice time zone', () => {
  const late = [
    message('a', '2026-04-01T01:30:00Z', 'dr'),
    message('b', '2026-04-01T01:35:00Z', 'pt'),
  ];

  assert.is(minutesFromCommunications(late, RULE, 'America/New_York')[0].day, '2026-03-31');
  assert.is(minutesFromCommunications(late, RULE)[0].day, '2026-04-01');
});

test.run();
