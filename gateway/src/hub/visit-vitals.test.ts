import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { TREND_RELATIVE_STEP, trendOf } from './visit-vitals.js';

test('a change of at least the code step is rising or falling; less is steady', () => {
  assert.is(trendOf('heart-rate', '/min', 85, 80), 'rising');
  assert.is(trendOf('heart-rate', '/min', 75, 80), 'falling');
  assert.is(trendOf('heart-rate', '/min', 84, 80), 'steady');
  assert.is(trendOf('body-temp', 'Cel', 37.5, 37.1), 'rising');
});

test('no earlier reading: no trend', () => {
  assert.is(trendOf('spo2', '%', 95, undefined), undefined);
});

test('another unit or an unknown code uses the relative step', () => {
  // 0.3 Cel is the Celsius step; in Fahrenheit 3 % of 98.6 °F is about 3 °F.
  assert.is(trendOf('body-temp', '[degF]', 99.5, 98.6), 'steady');
  assert.is(trendOf('body-temp', '[degF]', 98.6 * (1 + 2 * TREND_RELATIVE_STEP), 98.6), 'rising');
  assert.is(trendOf('x-unknown', null, 90, 100), 'falling');
});

test.run();
