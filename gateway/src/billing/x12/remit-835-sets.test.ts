import { X12Parser } from 'node-x12';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { X12Error } from '../errors.js';
import { interchange, payment, remittance, claimStatus } from '../fixtures/x12-builder.js';
import { parse277 } from './claim-status.js';
import { parse271 } from './eligibility.js';
import { parse835, parse835Sets } from './remit-835.js';

const paidClaim = (id: string, svc = 'SVC*HC:99454*65*47**1~', cas = 'CAS*CO*45*18~') => [
  `CLP*${id}*1*65*47*0*MB*PCN-${id}*11*1~`,
  svc,
  cas,
  `REF*6R*${id}-1~`,
];

function x12Error(fn: () => unknown): X12Error {
  try {
    fn();
  } catch (error) {
    assert.instance(error, X12Error);

    return error as X12Error;
  }
  throw new Error('expected an X12Error');
}

test('two 835 sets: parse835Sets reads both; parse835 refuses the second, naming its ST', () => {
  const text = remittance(
    payment('EFT-A', '47', [paidClaim('SD-A')]),
    payment('EFT-B', '47', [paidClaim('SD-B')]),
  );
  new X12Parser(true).parse(text);

  const sets = parse835Sets(text);

  assert.equal(
    sets.map((r) => [r.traceNumber, r.transactionControl, r.claims.map((c) => c.claimId)]),
    [
      ['EFT-A', '0001', ['SD-A']],
      ['EFT-B', '0002', ['SD-B']],
    ],
  );
  const err = x12Error(() => parse835(text));
  assert.is(err.code, 'UNEXPECTED_SEGMENT');
  assert.equal(err.position, { segmentId: 'ST', segmentIndex: 13 });
});

test('835 sets in two GS groups are all read; a non-835 set among them is refused', () => {
  const a = payment('EFT-A', '47', [paidClaim('SD-A')]);
  const b = payment('EFT-B', '47', [paidClaim('SD-B')]);

  assert.is(parse835Sets(interchange('835', '005010X221A1', [[a], [b]])).length, 2);
  const mixed = interchange('835', '005010X221A1', [[a], [b]]).replace(
    'ST*835*0002',
    'ST*277*0002',
  );
  const err = x12Error(() => parse835Sets(mixed));
  assert.equal(
    [err.code, err.position.segmentId, err.position.element],
    ['UNEXPECTED_SEGMENT', 'ST', 1],
  );
});

test('a 277 with two sets answers for both claims; a 271 with two is refused', () => {
  const text = interchange('277', '005010X212', [
    [claimStatus('SD-A', 'F1:65'), claimStatus('SD-B', 'F2:88')],
  ]);

  assert.equal(
    parse277(text).map((a) => [a.claimId, a.statuses[0]?.category]),
    [
      ['SD-A', 'F1'],
      ['SD-B', 'F2'],
    ],
  );
  const two271 = interchange('271', '005010X279A1', [
    [['BHT*0022*11*E1*20260301*1201~'], ['BHT*0022*11*E2*20260301*1201~']],
  ]);
  const err = x12Error(() => parse271(two271));
  assert.equal(err.position, { segmentId: 'ST', segmentIndex: 6 });
});

test('each service line balances: SVC02 - SVC03 = its CAS amounts', () => {
  const text = remittance(
    payment('EFT-A', '47', [
      [
        'CLP*SD-A*1*65*47*0*MB*PCN*11*1~',
        'CAS*CO*45*1~',
        'SVC*HC:99454*65*47**1~',
        'CAS*CO*45*17~',
      ],
    ]),
  );

  const err = x12Error(() => parse835(text));

  assert.is(err.code, 'UNBALANCED');
  assert.equal(err.position, { segmentId: 'SVC', segmentIndex: 10, element: 3 });
  assert.match(err.message, /SVC03 \(segment 10\)/);
});

test('SVC05 units must be a positive number; paid amounts and units are read per line', () => {
  const bad = (units: string) =>
    remittance(payment('EFT-A', '47', [paidClaim('SD-A', `SVC*HC:99454*65*47**${units}~`)]));

  for (const units of ['x', '-1', '0', '1e3']) {
    const err = x12Error(() => parse835(bad(units)));
    assert.equal(
      [err.code, err.position.segmentId, err.position.element],
      ['BAD_ELEMENT', 'SVC', 5],
    );
  }
  const [line] = parse835(bad('2')).claims[0].lines;
  assert.equal([line?.paidCents, line?.units], [4700, 2]);
});

test.run();
