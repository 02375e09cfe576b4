import { readFileSync } from 'node:fs';

import { X12Parser, type X12Interchange } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { X12Error } from '../errors.js';
import { build276, parse277 } from './claim-status.js';
import { build270, parse271 } from './eligibility.js';
import { readInterchange } from './reader.js';

const read = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const now = new Date('2026-03-01T12:00:00Z');
const payer = { payerId: '12345', name: 'Example Medicare Contractor' };
const provider = { npi: '1234567893', name: 'Spark Den Cardiology Group' };

test('270: generated, read by node-x12 and by our reader', () => {
  const x12 = build270({
    traceNumber: 'E000123',
    originatorId: '9SPARKDEN0',
    payer,
    provider,
    subscriber: {
      memberId: '1EG4TE5MK73',
      lastName: 'Doe',
      firstName: 'Jane',
      birthDate: '1948-02-17',
      sex: 'F',
    },
    serviceDate: '2026-03-01',
    senderId: 'SPARKDEN',
    receiverId: 'PAYER01',
    control: { interchange: 7, group: 7 },
    usage: 'T',
    now,
  });
  const ic = new X12Parser(true).parse(x12) as X12Interchange;
  const set = ic.functionalGroups[0].transactions[0];
  assert.is(set.header.elements[0].value, '270');
  assert.equal(
    set.segments.filter((s) => s.tag === 'HL').map((s) => s.elements[2].value),
    ['20', '21', '22'],
  );
  const ours = readInterchange(x12).groups[0];
  assert.is(ours.version, '005010X279A1');
  assert.is(ours.functionalId, 'HS');
  assert.ok(ours.transactions[0].segments.some((s) => s.id === 'EQ' && s.elements[1] === '30'));
});

test('271 active coverage: subscriber, plan dates, EB benefits', () => {
  const r = parse271(read('eligibility-active.271'));
  assert.is(r.traceNumber, 'E000123');
  assert.is(r.active, true);
  assert.equal(r.payer, { name: 'EXAMPLE MEDICARE CONTRACTOR', payerId: '12345' });
  assert.is(r.subscriber.memberId, '1EG4TE5MK73');
  assert.is(r.subscriber.birthDate, '1948-02-17');
  assert.is(r.planBegin, '2013-02-01');
  assert.equal(r.benefits[0].serviceTypes, ['30', '42', 'AL']);
  assert.is(r.benefits[1].amountCents, 15000);
  assert.is(r.benefits[2].percent, 0.2);
  assert.equal(r.benefits[2].messages, ['RPM SERVICES SUBJECT TO PART B COINSURANCE']);
  assert.equal(r.rejections, []);
});

test('271 rejection: AAA reason and follow-up at the subscriber level', () => {
  const r = parse271(read('eligibility-rejected.271'));
  assert.is(r.active, false);
  assert.equal(
    r.rejections.map((x) => [x.level, x.reason, x.followUp]),
    [['22', '72', 'C']],
  );
});

test('a broken 271 names the segment and element', () => {
  const bad = read('eligibility-active.271').replace('DMG*D8*19480217*F~', 'DMG*D8*1948-02-17*F~');
  try {
    parse271(bad);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, X12Error);
    assert.equal((e as X12Error).position, { segmentId: 'DMG', segmentIndex: 14, element: 2 });
  }
});

test('276 generated and read by node-x12; 277 parsed', () => {
  const x12 = build276({
    traceNumber: 'S000456',
    payer,
    submitter: { id: 'SPARKDEN', name: 'Spark Den' },
    provider,
    subscriber: { memberId: '1EG4TE5MK73', lastName: 'Doe', firstName: 'Jane' },
    claim: { id: 'SD-2026-000001', totalCents: 11700, from: '2026-03-30', to: '2026-03-31' },
    senderId: 'SPARKDEN',
    receiverId: 'PAYER01',
    control: { interchange: 8, group: 8 },
    usage: 'T',
    now,
  });
  const ic = new X12Parser(true).parse(x12) as X12Interchange;
  assert.is(ic.functionalGroups[0].header.elements[0].value, 'HR');
  assert.match(x12, /REF\*EJ\*SD-2026-000001~\nAMT\*T3\*117~\nDTP\*472\*RD8\*20260330-20260331~/);

  const [answer] = parse277(read('claim-status-paid.277'));
  assert.is(answer.claimId, 'SD-2026-000001');
  assert.is(answer.payerClaimNumber, '2026104000001');
  assert.equal(answer.statuses, [
    {
      category: 'F1',
      code: '65',
      entity: 'PR',
      date: '2026-04-15',
      chargeCents: 11700,
      paidCents: 7600,
    },
  ]);
});

test('fixtures are well-formed to node-x12', () => {
  for (const f of ['eligibility-active.271', 'eligibility-rejected.271', 'claim-status-paid.277']) {
    new X12Parser(true).parse(read(f));
  }
});

test.run();
