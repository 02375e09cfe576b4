import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ClockSkew } from './clock-skew.js';

test('a device clock 90 s slow is moved onto the agent clock and flagged', () => {
  const skew = new ClockSkew();
  const received = new Date('2026-01-01T10:00:00Z');
  const device = new Date(received.getTime() - 90_000);

  const r = skew.correct('oxi-1', device, received);
  assert.is(r.effectiveAt.toISOString(), received.toISOString());
  assert.ok(r.corrected);
});

test('a reading replayed from device memory keeps its own time (minimum filter)', () => {
  const skew = new ClockSkew();
  const now = Date.parse('2026-01-01T10:00:00Z');
  skew.correct('bp-1', new Date(now - 200), new Date(now));
  const old = new Date(now - 3_600_000);

  const r = skew.correct('bp-1', old, new Date(now + 10));
  assert.is(r.effectiveAt.getTime(), old.getTime());
  assert.not.ok(r.corrected);
});

test('the hub offset comes from the ack with the shortest round trip', () => {
  const skew = new ClockSkew();
  skew.observeAck(1000, 3000, 1000 + 1000 + 5000);
  skew.observeAck(10_000, 10_100, 10_050 + 5000);

  assert.is(skew.hubOffsetMs, 5000);
  const received = new Date(20_000);
  const r = skew.correct('scale-1', undefined, received);
  assert.is(r.effectiveAt.getTime(), 25_000);
  assert.ok(r.corrected);
});

test('offsets under the tolerance are left alone', () => {
  const skew = new ClockSkew();
  skew.observeAck(0, 100, 50 + 300);

  const r = skew.correct('x', undefined, new Date(1000));
  assert.is(r.effectiveAt.getTime(), 1000);
  assert.not.ok(r.corrected);
});

test.run();
