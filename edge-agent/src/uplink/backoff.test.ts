import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AdaptiveBatch } from './adaptive-batch.js';
import { Backoff } from './backoff.js';

test('backoff grows exponentially under a cap, with the jitter inside the bounds', () => {
  const top = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.equal(
    [top.next(), top.next(), top.next(), top.next(), top.next()],
    [100, 200, 400, 800, 1000],
  );
  const low = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
  assert.equal([low.next(), low.next(), low.next()], [100, 100, 100]);
});

test('backoff starts over after a success', () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.999999 });
  b.next();
  b.next();
  b.reset();
  assert.is(b.next(), 100);
});

test('backoff refuses a minimum above the maximum', () => {
  assert.throws(() => new Backoff({ minMs: 10, maxMs: 5 }), /minMs/);
});

test('the batch ceiling doubles on quick acks up to the maximum and halves on a timeout', () => {
  const size = new AdaptiveBatch({ max: 1000 });
  assert.is(size.ceiling, 200);
  size.onAck(10, 30_000);
  size.onAck(10, 30_000);
  size.onAck(10, 30_000);
  assert.is(size.ceiling, 1000);
  size.onAck(20_000, 30_000);
  assert.is(size.ceiling, 1000);
  size.onTimeout();
  assert.is(size.ceiling, 500);
});

test.run();
