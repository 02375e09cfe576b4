import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ClockSkew } from './clock-skew.js';

const NOW = Date.parse('2026-01-01T10:00:00Z');
const HOUR = 3_600_000;

test('a live reading from a device clock 90 s slow is moved onto the agent clock', () => {
  const skew = new ClockSkew();
  const received = new Date(NOW);
  const device = new Date(NOW - 90_000);

  const r = skew.correct('oxi-1', device, received, 'live');
  assert.is(r.effectiveAt.toISOString(), received.toISOString());
  assert.ok(r.corrected);
  assert.is(skew.measuredDeviceOffsetMs('oxi-1'), 90_000);
});

test('stored records replayed before any live reading keep their own times', () => {
  const skew = new ClockSkew();
  const ages = [3 * HOUR, 2 * HOUR, HOUR];

  for (const [i, age] of ages.entries()) {
    const stored = new Date(NOW - age);
    const r = skew.correct('gluco-1', stored, new Date(NOW + i), 'stored');
    assert.is(r.effectiveAt.getTime(), stored.getTime(), `record ${i} not moved`);
    assert.not.ok(r.corrected);
  }
  assert.is(skew.measuredDeviceOffsetMs('gluco-1'), undefined, 'a stored record is no sample');
});

test('stored records after live ones move by the measured clock offset, not to receipt', () => {
  const skew = new ClockSkew();
  const slow = 90_000;
  const storedFirst = new Date(NOW - 2 * HOUR - slow);
  const before = skew.correct('bp-1', storedFirst, new Date(NOW), 'stored');
  assert.is(before.effectiveAt.getTime(), storedFirst.getTime(), 'no offset measured yet');

  for (let i = 0; i < 3; i++) {
    const received = NOW + 10_000 * i;
    const delay = 40 + 20 * i;
    skew.correct('bp-1', new Date(received - slow - delay), new Date(received), 'live');
  }
  assert.is(skew.measuredDeviceOffsetMs('bp-1'), slow + 40);
  const storedLater = new Date(NOW - HOUR - slow);
  const after = skew.correct('bp-1', storedLater, new Date(NOW + 60_000), 'stored');

  assert.is(after.effectiveAt.getTime(), NOW - HOUR + 40, 'on the agent clock, an hour old');
  assert.ok(after.corrected);
});

test('a live device keeps its offset while it replays a backlog (minimum filter)', () => {
  const skew = new ClockSkew();
  skew.correct('mon-1', new Date(NOW - 200), new Date(NOW), 'live');
  const old = new Date(NOW - HOUR);

  const r = skew.correct('mon-1', old, new Date(NOW + 10), 'live');
  assert.is(r.effectiveAt.getTime(), old.getTime());
  assert.not.ok(r.corrected);
  assert.is(skew.measuredDeviceOffsetMs('mon-1'), 200);
});

test('an explicit read of the device clock corrects stored records', () => {
  const skew = new ClockSkew();
  skew.observeDeviceClock('scale-1', new Date(NOW + 5 * 60_000), new Date(NOW));
  const stored = new Date(NOW - HOUR);

  const r = skew.correct('scale-1', stored, new Date(NOW + 1000));
  assert.is(r.effectiveAt.getTime(), stored.getTime() - 5 * 60_000);
  assert.ok(r.corrected);
});

test('a stored record ahead of its receipt is put at receipt, never past the clock offset', () => {
  const skew = new ClockSkew();
  const fast = 10 * 60_000;
  const received = new Date(NOW);
  const stored = new Date(NOW + fast - 30_000);

  const r = skew.correct('bp-2', stored, received);
  assert.is(r.effectiveAt.getTime(), received.getTime());
  assert.ok(r.corrected);
  assert.ok(stored.getTime() - r.effectiveAt.getTime() <= fast);
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

test('the hub offset is applied on top of the device offset, to stored records too', () => {
  const skew = new ClockSkew();
  skew.observeAck(NOW, NOW + 100, NOW + 50 - 7000);
  skew.correct('bp-1', new Date(NOW - 30_000), new Date(NOW), 'live');
  const stored = new Date(NOW - HOUR - 30_000);

  const r = skew.correct('bp-1', stored, new Date(NOW + 5000), 'stored');
  assert.is(r.effectiveAt.getTime(), NOW - HOUR - 7000);
  const kept = skew.correct('bp-9', new Date(NOW - HOUR), new Date(NOW), 'stored');
  assert.is(kept.effectiveAt.getTime(), NOW - HOUR - 7000, 'unmeasured device: hub offset only');
  assert.ok(kept.corrected);
});

test('offsets under the tolerance are left alone', () => {
  const skew = new ClockSkew();
  skew.observeAck(0, 100, 50 + 300);

  const r = skew.correct('x', undefined, new Date(1000));
  assert.is(r.effectiveAt.getTime(), 1000);
  assert.not.ok(r.corrected);
});

test('a forgotten device measures its clock afresh', () => {
  const skew = new ClockSkew();
  skew.correct('oxi-1', new Date(NOW - 90_000), new Date(NOW), 'live');
  skew.forgetDevice('oxi-1');

  assert.is(skew.measuredDeviceOffsetMs('oxi-1'), undefined);
  assert.is(skew.deviceOffsetMs('oxi-1'), 0);
});

test.run();
