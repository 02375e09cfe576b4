import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { VisitEventConsumer } from './event-consumer.js';
import {
  VisitEventPublisher,
  visitEventStream,
  type RelayedVisitEvent,
} from './event-publisher.js';

const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
let prefix = '';

function joined(appointmentId: string, userId: string): RelayedVisitEvent {
  const at = new Date().toISOString();

  return { kind: 'visit', event: { type: 'joined', appointmentId, userId, role: 'guest', at } };
}

async function until(what: string, probe: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await probe()) {
      return;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.before(async () => {
  await redis.connect();
});

test.before.each(() => {
  prefix = `sd:test:${randomUUID()}:`;
});

test.after.each(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) {
    await redis.del(...keys);
  }
});

test.after(() => {
  redis.disconnect();
});

test('a visit’s events are applied in order even when a crashed hub held the first', async () => {
  const stream = visitEventStream(prefix);
  const publisher = new VisitEventPublisher({ redis, prefix, nodeId: 'n-1' });
  await redis.xgroup('CREATE', stream, 'hubs', '0', 'MKSTREAM');
  await publisher.publish(joined('apt-1', 'first'));
  await redis.xreadgroup('GROUP', 'hubs', 'crashed', 'COUNT', 1, 'STREAMS', stream, '>');
  await publisher.publish(joined('apt-1', 'second'));
  await publisher.publish(joined('apt-2', 'other'));
  const seen: string[] = [];

  const consumer = new VisitEventConsumer({
    redis,
    prefix,
    consumer: 'hub-1',
    claimIdleMs: 300,
    handle: (body) => {
      seen.push(body.kind === 'visit' && 'userId' in body.event ? body.event.userId : '?');
      return Promise.resolve();
    },
  });
  await consumer.start();
  await until('three events', () => seen.length === 3);
  await consumer.stop();

  assert.equal(
    seen.filter((u) => u !== 'other'),
    ['first', 'second'],
  );
});

test('a failed event stays pending and is applied when claimed again', async () => {
  const publisher = new VisitEventPublisher({ redis, prefix, nodeId: 'n-1' });
  let attempts = 0;
  const consumer = new VisitEventConsumer({
    redis,
    prefix,
    consumer: 'hub-1',
    claimIdleMs: 300,
    handle: () => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error('database away')) : Promise.resolve();
    },
  });
  await consumer.start();

  await publisher.publish(joined('apt-3', 'u'));
  await until('a second attempt', () => attempts >= 2);
  await until('no entry pending', async () => {
    const [count] = (await redis.xpending(visitEventStream(prefix), 'hubs')) as [number];
    return Number(count) === 0;
  });
  await consumer.stop();

  assert.is(attempts, 2);
});

test.run();
