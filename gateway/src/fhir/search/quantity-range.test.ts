import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { quantityRange } from './quantity-range.js';

test('the implied precision range of a search number [FHIR R4 search 3.1.1.4.2]', () => {
  assert.equal(quantityRange('5.4'), ['5.35', '5.45']);
  assert.equal(quantityRange('5.40'), ['5.395', '5.405']);
  assert.equal(quantityRange('100'), ['99.5', '100.5']);
  assert.equal(quantityRange('0.1'), ['0.05', '0.15']);
  assert.equal(quantityRange('-2.5'), ['-2.55', '-2.45']);
  assert.equal(quantityRange('5e2'), ['450', '550']);
  assert.equal(quantityRange('1.5e-1'), ['0.145', '0.155']);
  assert.is(quantityRange('abc'), undefined);
  assert.is(quantityRange(''), undefined);
});

test.run();
