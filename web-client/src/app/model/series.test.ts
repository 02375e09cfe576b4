import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { buildSeries, fitSpanMs, valueRange } from './series.js';

const t0 = Date.parse('2026-12-03T10:00:00Z');

test('a silence longer than maxGapMs breaks the line and is reported as a gap', () => {
  const s = buildSeries(
    [
      { at: t0, value: 97 },
      { at: t0 + 1000, value: 96 },
      { at: t0 + 61_000, value: 88 },
    ],
    { maxGapMs: 5000 },
  );

  assert.equal(s.y, [97, 96, null, 88]);
  assert.equal(s.gaps, [{ from: t0 + 1000, to: t0 + 61_000 }]);
  assert.is(s.x[2], (t0 + 31_000) / 1000);
});

test('leading and trailing silences inside the window are gaps too', () => {
  const s = buildSeries([{ at: t0 + 60_000, value: 95 }], {
    maxGapMs: 5000,
    from: t0,
    until: t0 + 120_000,
  });

  assert.equal(s.gaps, [
    { from: t0, to: t0 + 60_000 },
    { from: t0 + 60_000, to: t0 + 120_000 },
  ]);
});

test('device changes split the device spans', () => {
  const s = buildSeries(
    [
      { at: t0 + 2000, value: 95, deviceId: 'ox-2' },
      { at: t0, value: 97, deviceId: 'ox-1' },
      { at: t0 + 1000, value: 96, deviceId: 'ox-1' },
    ],
    { maxGapMs: 5000 },
  );

  assert.equal(s.devices, [
    { deviceId: 'ox-1', from: t0, to: t0 + 1000 },
    { deviceId: 'ox-2', from: t0 + 2000, to: t0 + 2000 },
  ]);
});

test('maxGapMs must be positive', () => {
  assert.throws(() => buildSeries([], { maxGapMs: 0 }), /maxGapMs/);
});

test('valueRange skips nulls and is undefined for no data', () => {
  assert.equal(valueRange([3, null, 1, 7]), [1, 7]);
  assert.is(valueRange([null]), undefined);
});

test('the fitted period is the shortest that shows the oldest reading with room', () => {
  const hour = 3_600_000;
  const spans = [hour, 6 * hour, 24 * hour, 168 * hour];

  assert.is(fitSpanMs(20 * 60_000, spans), hour);
  assert.is(fitSpanMs(58 * 60_000, spans), 6 * hour);
  assert.is(fitSpanMs(30 * hour, spans), 168 * hour);
  assert.is(fitSpanMs(Infinity, spans), 168 * hour);
});

test.run();
