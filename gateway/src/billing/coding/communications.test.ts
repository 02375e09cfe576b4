import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  minutesFromCommunications,
  type CommunicationFact,
  type InteractiveTimeRule,
} from './communications.js';

const RULE: InteractiveTimeRule = {
  messageReplyWindowMinutes: 10,
  messageExchangeMinimumMinutes: 5,
  messageExchangeMaximumMinutes: 15,
};
const DR = { side: 'clinician' as const, clinicianId: 'dr-1' };
const PT = { side: 'patient' as const };

const message = (id: string, sent: string, from: 'dr' | 'pt'): CommunicationFact => ({
  id,
  patientId: 'p1',
  sent,
  sender: from === 'dr' ? DR : PT,
  recipients: [from === 'dr' ? PT : DR],
  phone: false,
});

const call = (id: string, start?: string, end?: string): CommunicationFact => ({
  id,
  patientId: 'p1',
  sender: DR,
  recipients: [PT],
  phone: true,
  call: { start, end },
});

test('a call with start, end and both parties counts its length, citing the Communication', () => {
  const [entry, ...rest] = minutesFromCommunications(
    [call('c1', '2026-03-03T10:00:00Z', '2026-03-03T10:06:30Z')],
    RULE,
  );
  assert.is(rest.length, 0);
  assert.is(entry.id, 'comm-call:c1');
  assert.is(entry.minutes, 6.5);
  assert.is(entry.kind, 'audio');
  assert.is(entry.clinicianId, 'dr-1');
  assert.is(entry.day, '2026-03-03');
  assert.match(entry.interactionEvidence!, /Communication\/c1: call 2026-03-03T10:00:00.000Z/);
  assert.match(entry.interactionEvidence!, /CALL-DURATION/);
});

test('a call without an end, with the end first, or with one party counts nothing', () => {
  const oneParty: CommunicationFact = { ...call('c4', 'x'), recipients: [DR] };
  oneParty.call = { start: '2026-03-03T10:00:00Z', end: '2026-03-03T10:10:00Z' };
  const entries = minutesFromCommunications(
    [
      call('c1', '2026-03-03T10:00:00Z'),
      call('c2', undefined, '2026-03-03T10:00:00Z'),
      call('c3', '2026-03-03T10:10:00Z', '2026-03-03T10:00:00Z'),
      oneParty,
    ],
    RULE,
  );
  assert.equal(entries, []);
});

test('a reply within the window makes an exchange: span, at least the minimum', () => {
  const short = minutesFromCommunications(
    [message('m1', '2026-03-04T09:00:00Z', 'dr'), message('m2', '2026-03-04T09:03:00Z', 'pt')],
    RULE,
  );
  assert.is(short.length, 1);
  assert.is(short[0].id, 'comm-exchange:m1');
  assert.is(short[0].minutes, 5, 'a 3-minute exchange counts the 5-minute minimum');
  assert.is(short[0].kind, 'message');
  assert.match(
    short[0].interactionEvidence!,
    /Communication\/m1 \(clinician .*Communication\/m2 \(patient/,
  );
  assert.match(short[0].interactionEvidence!, /MSG-EXCHANGE: replies within 10 min, span 3 min/);

  const long = minutesFromCommunications(
    [
      message('m1', '2026-03-04T09:00:00Z', 'dr'),
      message('m2', '2026-03-04T09:08:00Z', 'pt'),
      message('m3', '2026-03-04T09:16:00Z', 'dr'),
      message('m4', '2026-03-04T09:25:00Z', 'pt'),
    ],
    RULE,
  );
  assert.is(long.length, 1, 'one thread, each message within 10 min of the one before');
  assert.is(long[0].minutes, 15, 'a 25-minute thread is capped at 15');
});

test('one-way messages, or a reply after the window, count nothing', () => {
  const oneWay = minutesFromCommunications(
    [message('m1', '2026-03-04T09:00:00Z', 'dr'), message('m2', '2026-03-04T09:02:00Z', 'dr')],
    RULE,
  );
  assert.equal(oneWay, []);
  const late = minutesFromCommunications(
    [message('m1', '2026-03-04T09:00:00Z', 'dr'), message('m2', '2026-03-04T09:10:01Z', 'pt')],
    RULE,
  );
  assert.equal(late, []);
  const atTheEdge = minutesFromCommunications(
    [message('m1', '2026-03-04T09:00:00Z', 'dr'), message('m2', '2026-03-04T09:10:00Z', 'pt')],
    RULE,
  );
  assert.is(atTheEdge.length, 1, 'a reply 10 min later is within a 10-minute window');
});

test('a message to nobody on the other side, or from neither side, is no part of an exchange', () => {
  const toColleague: CommunicationFact = { ...message('m1', '2026-03-04T09:00:00Z', 'dr') };
  toColleague.recipients = [{ side: 'clinician', clinicianId: 'dr-2' }];
  const anonymous: CommunicationFact = { ...message('m2', '2026-03-04T09:01:00Z', 'pt') };
  anonymous.sender = undefined;
  const entries = minutesFromCommunications(
    [toColleague, anonymous, message('m3', '2026-03-04T09:02:00Z', 'pt')],
    RULE,
  );
  assert.equal(entries, []);
});

test('the same Communications give the same entries, each Communication in at most one', () => {
  const facts = [
    message('m1', '2026-03-04T09:00:00Z', 'dr'),
    message('m2', '2026-03-04T09:05:00Z', 'pt'),
    message('m3', '2026-03-04T11:00:00Z', 'pt'),
    message('m4', '2026-03-04T11:04:00Z', 'dr'),
    call('c1', '2026-03-04T12:00:00Z', '2026-03-04T12:07:00Z'),
  ];
  const once = minutesFromCommunications(facts, RULE);
  const again = minutesFromCommunications([...facts].reverse(), RULE);
  assert.equal(again, once);
  assert.equal(
    once.map((e) => e.id),
    ['comm-call:c1', 'comm-exchange:m1', 'comm-exchange:m3'],
  );
  const cited = once.map((e) => e.interactionEvidence!.match(/Communication\/\w+/g)).flat();
  assert.is(new Set(cited).size, cited.length);
});

test('a minimum above the maximum is refused', () => {
  assert.throws(
    () =>
      minutesFromCommunications([], {
        ...RULE,
        messageExchangeMinimumMinutes: 20,
      }),
    /messageExchangeMinimumMinutes/,
  );
});

test.run();
