import { readFileSync } from 'node:fs';

import { X12Parser } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { X12Error } from '../errors.js';
import { parse835 } from './remit-835.js';

const fixture = readFileSync(new URL('../fixtures/remit-paid-denied.835', import.meta.url), 'utf8');

test('the fixture itself is well-formed X12 to a parser not written here', () => {
  new X12Parser(true).parse(fixture);
});

test('835: payment, claims, CAS groups and CARCs, lines, PLB', () => {
  const r = parse835(fixture);
  assert.is(r.traceNumber, 'EFT0000451');
  assert.is(r.paymentCents, 7725);
  assert.is(r.paymentDate, '2026-04-15');
  assert.is(r.payerName, 'EXAMPLE MEDICARE CONTRACTOR');
  assert.is(r.claims.length, 2);
  const [paid, denied] = r.claims;
  assert.equal(
    [paid.claimId, paid.status, paid.chargeCents, paid.paidCents, paid.patientResponsibilityCents],
    ['SD-2026-000001', '1', 11700, 7600, 1900],
  );
  assert.equal(paid.lines[0].adjustments, [
    { group: 'CO', reason: '45', amountCents: 1800, quantity: undefined },
    { group: 'PR', reason: '2', amountCents: 940, quantity: undefined },
  ]);
  assert.is(paid.lines[0].lineRef, 'SD-2026-000001-1');
  assert.is(paid.lines[1].dateOfService, '2026-03-31');
  assert.is(denied.status, '4');
  assert.equal(denied.lines[0].remarks, ['N115']);
  assert.equal(r.providerAdjustments, [
    { reason: 'L6', reference: 'INT20260415', amountCents: -125 },
  ]);
});

function expectX12Error(
  text: string,
  segmentId: string,
  element: number | undefined,
  code: string,
) {
  try {
    parse835(text);
    assert.unreachable('must fail');
  } catch (e) {
    assert.instance(e, X12Error);
    const err = e as X12Error;
    assert.is(err.code, code, err.message);
    assert.is(err.position.segmentId, segmentId, err.message);
    assert.is(err.position.element, element, err.message);
    assert.ok(err.position.segmentIndex > 0);
    return err;
  }
  throw new Error('unreachable');
}

test('a bad amount names the segment, its index and the element', () => {
  const err = expectX12Error(
    fixture.replace('CLP*SD-2026-000001*1*117*76*', 'CLP*SD-2026-000001*1*117*7O*'),
    'CLP',
    4,
    'BAD_ELEMENT',
  );
  assert.is(err.position.segmentIndex, 14);
  assert.match(err.message, /CLP04 \(segment 14\): not a decimal amount/);
});

test('unbalanced claim and payment totals are rejected', () => {
  const claimCas = fixture
    .replace('CLP*SD-2026-000002*4*52*0**MB*2026104000002*11*1~', '$&\nCAS*OA*23*1~')
    .replace('SE*37*', 'SE*38*');
  expectX12Error(claimCas, 'CLP', 4, 'UNBALANCED');
  expectX12Error(fixture.replace('BPR*I*77.25*', 'BPR*I*78.25*'), 'BPR', 2, 'UNBALANCED');
});

test('envelope errors: wrong SE count, missing IEA, truncated ISA, unknown CAS group', () => {
  expectX12Error(fixture.replace(/SE\*(\d+)\*0001/, 'SE*3*0001'), 'SE', 1, 'COUNT_MISMATCH');
  expectX12Error(fixture.replace(/IEA\*1\*000000901~\n$/, ''), 'IEA', undefined, 'MISSING_SEGMENT');
  expectX12Error('ISA*00*short~', 'ISA', undefined, 'BAD_ENVELOPE');
  expectX12Error(fixture.replace('CAS*PR*2*9.4~', 'CAS*XX*2*9.4~'), 'CAS', 1, 'BAD_ELEMENT');
});

test.run();
