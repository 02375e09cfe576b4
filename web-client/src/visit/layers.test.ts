import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { layerForWidth } from './layers.js';

test('small tiles take the quarter-size layer, large ones the full one', () => {
  assert.equal([0, 200, 320, 321, 640, 641, 1920].map(layerForWidth), [0, 0, 0, 1, 1, 2, 2]);
});

test('a width that is not a number takes the smallest layer', () => {
  assert.is(layerForWidth(Number.NaN), 0);
});

test.run();
