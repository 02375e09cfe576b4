import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AdaptiveBatch, estimateBacklog, pickRecords } from './adaptive-batch.js';

const record = (items: number, bytes = items * 400) => ({
  items: Array.from({ length: items }, () => ({})),
  bytes,
});

test('a shallow queue goes in small batches, a deep one in batches up to the ceiling', () => {
  const batch = new AdaptiveBatch({ max: 5000, window: 4 });

  assert.is(batch.sizeFor(3), 50, 'live traffic: the minimum');
  assert.is(batch.sizeFor(600), 150, 'a quarter of the backlog per batch in flight');
  assert.is(batch.sizeFor(100_000), 200, 'the link ceiling before any ack');
  assert.is(batch.target, 200);
});

test('the ceiling follows the link: doubles on quick acks, halves on timeouts, within max', () => {
  const batch = new AdaptiveBatch({ max: 1000, window: 4 });
  for (let i = 0; i < 5; i++) {
    batch.onAck(100, 30_000);
  }

  assert.is(batch.ceiling, 1000);
  assert.is(batch.sizeFor(100_000), 1000, 'deep backlog on a fast link: the maximum');
  assert.is(batch.sizeFor(40), 50, 'shallow again: small batches, whatever the link');
  batch.onAck(20_000, 30_000);
  assert.is(batch.ceiling, 1000, 'a slow ack does not grow it');
  batch.onTimeout();
  batch.onTimeout();
  assert.is(batch.sizeFor(100_000), 250);
});

test('the backlog is estimated from the records read and the unsent bytes', () => {
  const visible = [record(100), record(100)];

  assert.is(estimateBacklog(visible, 80_000), 200, 'all of it was read');
  assert.is(estimateBacklog(visible, 8_000_000), 20_000, '400 bytes an item, 8 MB unsent');
  assert.is(estimateBacklog([], 1_000), 0);
});

test('batches stay within the packet size and the item target, whole records only', () => {
  const records = [record(300, 120_000), record(300, 120_000), record(300, 120_000)];

  assert.is(pickRecords(records, 5000, 250_000).length, 2, 'the third would pass the packet');
  assert.is(pickRecords(records, 500, 1_000_000).length, 1, 'the second would pass 500 items');
  assert.is(pickRecords(records, 10, 1000).length, 1, 'at least one record');
  assert.is(pickRecords([], 10, 1000).length, 0);
});

test('bad options are refused naming the option', () => {
  assert.throws(() => new AdaptiveBatch({ max: 0 }), /"max"/);
  assert.throws(() => new AdaptiveBatch({ max: 10, window: 0 }), /"window"/);
  assert.throws(() => new AdaptiveBatch({ max: 10 }).sizeFor(Number.NaN), /"backlogItems"/);
});

test.run();
