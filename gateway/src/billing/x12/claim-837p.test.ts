import { X12Parser, type X12Interchange } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { scrubClaim } from '../claim.js';
import { BillingError } from '../errors.js';
import { sampleClaimDraft } from '../fixtures/sample-claim.js';
import { buildClaim837P } from './claim-837p.js';
import { readClaim837P } from './read-837p.js';

const parties = {
  submitter: {
    id: 'SPARKDEN',
    name: 'Spark Den',
    contactName: 'Billing Desk',
    phone: '(217) 555-0100',
  },
  receiver: { id: 'PAYER01', name: 'Example Clearinghouse' },
};
const now = new Date('2026-04-02T09:30:00Z');

function build(draft = sampleClaimDraft(), interchange = 42) {
  return buildClaim837P(scrubClaim(draft), {
    ...parties,
    control: { interchange, group: interchange },
    usage: 'T',
    now,
  });
}

test('837P is accepted by node-x12 in strict mode, with the 5010 envelope and loops', () => {
  const x12 = build();
  const parser = new X12Parser(true);
  const interchange = parser.parse(x12) as X12Interchange;
  assert.is(Number(interchange.header.elements[12].value), 42, 'ISA13');
  assert.match(x12, /^ISA(\*[^*]*){12}\*000000042\*0\*T\*:~/);
  assert.is(interchange.header.elements[11].value, '00501');
  const group = interchange.functionalGroups[0];
  assert.is(group.header.elements[0].value, 'HC');
  assert.is(group.header.elements[7].value, '005010X222A1');
  const set = group.transactions[0];
  const tags = set.segments.map((s) => s.tag);
  assert.is(tags[0], 'BHT');
  const hl = set.segments
    .filter((s) => s.tag === 'HL')
    .map((s) => s.elements.map((e) => e.value).join('*'));
  assert.equal(hl, ['1**20*1', '2*1*22*0']);
  const nm1 = set.segments.filter((s) => s.tag === 'NM1').map((s) => s.elements[0].value);
  assert.equal(nm1, ['41', '40', '85', 'IL', 'PR', '82']);
  const sv1 = set.segments
    .filter((s) => s.tag === 'SV1')
    .map((s) => s.elements.map((e) => e.value));
  assert.equal(sv1[1], ['HC:99457', '52', 'UN', '1', '', '', '1:2']);
  const clm = set.segments.find((s) => s.tag === 'CLM')!;
  assert.is(clm.elements[1].value, '117', 'CLM02 is the sum of the lines');
  assert.is(clm.elements[4].value, '11:B:1');
  const hi = set.segments.find((s) => s.tag === 'HI')!;
  assert.equal(
    hi.elements.map((e) => e.value),
    ['ABK:I10', 'ABF:E119'],
  );
  const se = set.trailer.elements[0].value;
  assert.is(Number(se), set.segments.length + 2, 'SE01 counts ST and SE');
});

test('837P round trip: what we write reads back as the same claim', () => {
  const draft = sampleClaimDraft();
  draft.lines[0].modifiers = ['95'];
  draft.lines[0].placeOfService = '10';
  const back = readClaim837P(build(draft));
  assert.is(back.claimId, draft.id);
  assert.is(back.totalCents, 11700);
  assert.is(back.billingNpi, '1234567893');
  assert.is(back.renderingNpi, '1548200009');
  assert.is(back.memberId, '1EG4TE5MK73');
  assert.equal(back.diagnoses, ['I10', 'E119']);
  assert.equal(back.lines[0], {
    code: '99454',
    modifiers: ['95'],
    chargeCents: 6500,
    units: 1,
    placeOfService: '10',
    diagnosisPointers: [1],
    dateOfService: '2026-03-30',
  });
  assert.is(back.lines[1].placeOfService, undefined, 'POS only on lines that differ from CLM05');
});

test('patient who is not the subscriber gets a 2000C loop', () => {
  const draft = sampleClaimDraft();
  draft.patient = {
    ...draft.subscriber,
    firstName: 'Sam',
    birthDate: '2012-05-01',
    sex: 'M',
    relationship: '19',
  };
  const x12 = build(draft);
  assert.match(x12, /HL\*2\*1\*22\*1~\nSBR\*P\*\*/);
  assert.match(x12, /HL\*3\*2\*23\*0~\nPAT\*19~\nNM1\*QC\*1\*DOE\*SAM~/);
  new X12Parser(true).parse(x12);
});

test('the scrubber names every missing or wrong field before anything is built', () => {
  const draft = sampleClaimDraft() as unknown as Record<string, unknown>;
  delete (draft.subscriber as Record<string, unknown>).memberId;
  (draft.billingProvider as Record<string, unknown>).npi = '1234567890';
  draft.diagnoses = [];
  (draft.lines as { diagnosisPointers: number[] }[])[1].diagnosisPointers = [3];
  try {
    scrubClaim(draft);
    assert.unreachable('an incomplete claim must not pass');
  } catch (e) {
    assert.instance(e, BillingError);
    const err = e as BillingError;
    assert.is(err.code, 'SCRUB_FAILED');
    assert.ok(err.issues.includes('subscriber.memberId: missing'), err.issues.join(' | '));
    assert.ok(err.issues.some((i) => i.startsWith('billingProvider.npi: must be a valid NPI')));
    assert.ok(err.issues.some((i) => i.startsWith('diagnoses:')));
  }
});

test('a pointer past the last diagnosis is rejected', () => {
  const draft = sampleClaimDraft();
  draft.lines[1].diagnosisPointers = [3];
  try {
    scrubClaim(draft);
    assert.unreachable();
  } catch (e) {
    assert.equal((e as BillingError).issues, [
      'lines.1.diagnosisPointers.0: points at diagnosis 3 of 2',
    ]);
  }
});

test('control numbers are validated and a delimiter in data is refused', () => {
  assert.throws(() => build(sampleClaimDraft(), 0), /control.interchange/);
  const draft = sampleClaimDraft();
  draft.subscriber.memberId = 'AB*CD';
  // the scrubber catches it first, as SCRUB_FAILED naming the field
  assert.throws(
    () => build(draft),
    /SCRUB_FAILED.*subscriber\.memberId: contains an X12 delimiter/,
  );
});

test.run();
