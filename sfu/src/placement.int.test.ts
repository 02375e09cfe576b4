import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NodeRegistry, placeVisit } from './placement.js';

const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
let prefix = '';
let registry: NodeRegistry;

test.before(async () => {
  await redis.connect();
});

test.before.each(() => {
  prefix = `sd:test:${randomUUID()}:`;
  registry = new NodeRegistry({ redis, prefix, ttlSeconds: 5 });
});

test.after.each(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) {
    await redis.del(...keys);
  }
});

test.after(() => {
  redis.disconnect();
});

test('no registered node: placement returns null', async () => {
  assert.is(await placeVisit(redis, 'apt-1', { prefix }), null);
});

test('a new visit goes to the node with the lowest load for its capacity', async () => {
  await registry.publish({ nodeId: 'a', url: 'https://a', load: 300, capacity: 800 });
  await registry.publish({ nodeId: 'b', url: 'https://b', load: 100, capacity: 400 });
  await registry.publish({ nodeId: 'c', url: 'https://c', load: 350, capacity: 400 });

  const where = await placeVisit(redis, 'apt-1', { prefix });

  assert.equal(where, { nodeId: 'b', url: 'https://b' });
});

test('every participant of one visit lands on the same node', async () => {
  await registry.publish({ nodeId: 'a', url: 'https://a', load: 0, capacity: 2 });
  await registry.publish({ nodeId: 'b', url: 'https://b', load: 0, capacity: 2 });

  const first = await placeVisit(redis, 'apt-7', { prefix });
  const again = await placeVisit(redis, 'apt-7', { prefix });

  assert.equal(again, first);
});

test('visits placed before the next heartbeat spread across nodes', async () => {
  await registry.publish({ nodeId: 'a', url: 'https://a', load: 0, capacity: 10 });
  await registry.publish({ nodeId: 'b', url: 'https://b', load: 0, capacity: 10 });

  const nodes = await Promise.all(
    ['v1', 'v2', 'v3', 'v4'].map((v) => placeVisit(redis, v, { prefix })),
  );
  const onA = nodes.filter((n) => n?.nodeId === 'a').length;

  assert.is(onA, 2);
});

test('a node that stops heartbeating is skipped and its visits move', async () => {
  await registry.publish({ nodeId: 'a', url: 'https://a', load: 0, capacity: 10 });
  await registry.publish({ nodeId: 'b', url: 'https://b', load: 5, capacity: 10 });
  assert.is((await placeVisit(redis, 'apt-9', { prefix }))?.nodeId, 'a');

  await redis.del(`${prefix}node:a`);

  assert.is((await placeVisit(redis, 'apt-9', { prefix }))?.nodeId, 'b');
  assert.equal(
    (await registry.list()).map((n) => n.nodeId),
    ['b'],
  );
});

test('heartbeat keys expire when a node dies', async () => {
  await registry.publish({ nodeId: 'a', url: 'https://a', load: 0, capacity: 10 });
  const ttl = await redis.ttl(`${prefix}node:a`);

  assert.ok(ttl > 0 && ttl <= 5);
});

test.run();
