import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { parseFloat32, parseSfloat } from './ieee11073.js';

// [IEEE 11073-20601 SFLOAT/FLOAT] values worked out by hand from the bit layout.

test('SFLOAT special values map to data-absent reasons, never numbers', () => {
  const cases: Array<[number, string]> = [
    [0x07ff, 'not-a-number'],
    [0x0800, 'error'],
    [0x07fe, 'positive-infinity'],
    [0x0802, 'negative-infinity'],
    [0x0801, 'error'],
  ];
  for (const [raw, reason] of cases) {
    const n = parseSfloat(raw);
    assert.is(n.ok, false, raw.toString(16));
    assert.is(n.ok ? undefined : n.reason, reason);
  }
});

test('SFLOAT numbers: signs and exponents', () => {
  const value = (raw: number) => {
    const n = parseSfloat(raw);
    return n.ok ? n.value : NaN;
  };

  assert.is(value(0x0078), 120);
  assert.is(value(0xf04c), 7.6);
  assert.is(value(0xffff), -0.1);
  assert.is(value(0x2001), 100);
  assert.is(value(0xb05f), 0.00095);
  assert.is(value(0x87fd), 0.00002045);
});

test('SFLOAT: a reserved mantissa with a non-zero exponent is a number, not a special value', () => {
  // [IEEE 11073-20601 Annex F SFLOAT-Type] specials are exponent 0 only.
  const value = (raw: number) => {
    const n = parseSfloat(raw);
    return n.ok ? n.value : n.special;
  };

  assert.is(value(0xf7ff), 204.7); // mantissa 2047, exponent -1
  assert.is(value(0x17fe), 20460); // mantissa 2046, exponent 1
  assert.is(value(0xf800), -204.8); // mantissa -2048, exponent -1
  assert.is(value(0xe802), -20.46); // mantissa -2046, exponent -2
  assert.is(value(0x8801), -2.047e-5); // mantissa -2047, exponent -8
  assert.is(value(0x07ff), 'NaN');
  assert.is(value(0x0801), 'reserved');
});

test('FLOAT special values and numbers', () => {
  const special = [0x007fffff, 0x00800000, 0x007ffffe, 0x00800002, 0x00800001];
  const reasons = special.map((raw) => {
    const n = parseFloat32(raw);
    return n.ok ? 'number' : n.reason;
  });
  const n = parseFloat32(0xff000170);

  assert.equal(reasons, [
    'not-a-number',
    'error',
    'positive-infinity',
    'negative-infinity',
    'error',
  ]);
  assert.is(n.ok && n.value, 36.8);
  assert.is(
    parseFloat32(0xfeffffff).ok && (parseFloat32(0xfeffffff) as { value: number }).value,
    -0.01,
  );
});

test('FLOAT: a reserved mantissa with a non-zero exponent is a number', () => {
  const value = (raw: number) => {
    const n = parseFloat32(raw);
    return n.ok ? n.value : n.special;
  };

  assert.is(value(0xff7fffff), 838860.7); // mantissa 8388607, exponent -1
  assert.is(value(0x01800000), -83886080); // mantissa -8388608, exponent 1
  assert.is(value(0xfe800002), -83886.06); // mantissa -8388606, exponent -2
  assert.is(value(0x007ffffe), '+INF');
  assert.is(value(0x00800001), 'reserved');
});

test.run();
