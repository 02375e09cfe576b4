import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { parseDecimal } from './decimal.js';

test('HL7 NM numbers: sign, digits, decimal point', () => {
  const cases: Array<[string, number]> = [
    ['96', 96],
    ['01.20', 1.2],
    ['+1.2', 1.2],
    ['-1.2', -1.2],
    ['.5', 0.5],
    ['7.', 7],
  ];

  assert.equal(
    cases.map(([text]) => parseDecimal(text)),
    cases.map(([, value]) => value),
  );
});

test('what Number() takes but NM does not is no value', () => {
  const refused = ['0x61', '0b11', '0o7', '1e2', '1E-2', ' 12', '12 ', '\t1', '', '.', '+', '-.']
    .concat(['Infinity', '-Infinity', 'NaN', '1_000', '1,5', '١٢', '--1', '1.2.3', '9'.repeat(400)])
    .filter((text) => parseDecimal(text) !== undefined);

  assert.equal(refused, []);
});

test.run();
