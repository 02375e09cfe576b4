import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_DELIMITERS, toX12Amount, writeSegment } from './segment.js';
import { amountCents } from './cursor.js';
import { splitSegments as split } from './reader.js';

const value = fc.string({ unit: fc.constantFrom(...'ABCXYZ0129 .-/'.split('')), maxLength: 12 });

test('writeSegment then split gives the same elements back (trailing empties dropped)', () => {
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 10 }), (elements) => {
      const text = writeSegment({ id: 'REF', elements });
      const [seg] = split(text, DEFAULT_DELIMITERS);
      const trimmed = [...elements];
      while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') {
        trimmed.pop();
      }
      assert.equal(seg.elements.slice(1), trimmed);
    }),
  );
});

test('amounts survive toX12Amount and amountCents', () => {
  fc.assert(
    fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), (cents) => {
      const text = writeSegment({ id: 'AMT', elements: ['B6', toX12Amount(cents)] });
      const [seg] = split(text, DEFAULT_DELIMITERS);
      assert.is(amountCents(seg, 2), cents);
    }),
  );
});

test.run();
