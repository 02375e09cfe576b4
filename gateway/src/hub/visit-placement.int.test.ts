/**
 * Placement across two real SFU nodes (each with a real mediasoup worker) registered in real
 * Redis: the load a live visit puts on one node, published by its own heartbeat, sends the
 * gateway's next new visit to the other; when that visit ends, its node publishes the load
 * released and takes visits again.
 */
import {
  createVisitTokenIssuer,
  findWorkerBinary,
  reportMissingMedia,
  startSfuNode,
  type SfuNode,
} from '@sparkden/sfu';
import {
  consumeAll,
  joinVisitPeer,
  produceAudioVideo,
  type SignalingPeer,
} from '@sparkden/sfu/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createVisitPlacer } from './visit-placement.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `sd:test:${randomUUID()}:`;
const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
const worker = findWorkerBinary();
const redis = new Redis(REDIS_URL, { lazyConnect: true });
const nodes: SfuNode[] = [];
const peers: SignalingPeer[] = [];

async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (value !== undefined) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Both nodes in this process: each has its own worker, registry entry and heartbeat.
async function start(nodeId: string, heartbeatMs: number) {
  const node = await startSfuNode({
    tokenKey: secret,
    port: 0,
    media: { numWorkers: 1, listenIp: '127.0.0.1' },
    cluster: {
      redisUrl: REDIS_URL,
      publicUrl: `https://${nodeId}.test`,
      nodeId,
      prefix,
      heartbeatMs,
    },
  });
  nodes.push(node);

  return { node, url: `http://127.0.0.1:${node.port}` };
}

// The load the node last published to Redis, once it equals `expected`.
function published(nodeId: string, expected: number): Promise<number> {
  return waitFor(`${nodeId} publishing load ${expected}`, async () => {
    const load = Number(await redis.hget(`${prefix}node:${nodeId}`, 'load'));
    return load === expected ? load : undefined;
  });
}

async function join(url: string, apt: string, userId: string, role: 'host' | 'patient') {
  const token = await issuer.issue({ appointmentId: apt, userId, role, displayName: userId });
  const peer = await joinVisitPeer(url, token);
  peers.push(peer);

  return peer;
}

if (!worker.available) {
  reportMissingMedia(test, 'placement across real SFU nodes', worker.reason);
} else {
  test.before(() => redis.connect());

  test.after(async () => {
    for (const p of peers) {
      p.close();
    }
    await Promise.all(nodes.map((n) => n.stop()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    redis.disconnect();
  });

  test('a loaded node is passed over for the next visit, and takes visits once it ends', async () => {
    // Equal load/capacity orders the nodes by id, so without real load `sfu-a` wins.
    const a = await start('sfu-a', 100);
    await start('sfu-b', 100);
    const place = createVisitPlacer({
      local: { nodeId: 'hub', url: 'https://hub.test' },
      redis,
      prefix,
    });
    await published('sfu-a', 0);
    await published('sfu-b', 0);

    const first = await place('apt-first');
    assert.is(first.nodeId, 'sfu-a');
    const host = await join(a.url, 'apt-first', 'doc', 'host');
    const patient = await join(a.url, 'apt-first', 'pat', 'patient');
    await host.request('admit', { participantId: patient.participantId });
    await waitFor('patient admitted', () => Promise.resolve(patient.received('admitted')[0]));
    await consumeAll(patient, await produceAudioVideo(host));
    const load = a.node.sfu.status().media.load;
    assert.is(load, 4, 'two producers and two consumers on sfu-a');
    // The placement's own charge is overwritten by the node's next heartbeat.
    await published('sfu-a', load);

    const second = await place('apt-second');

    assert.equal(second, { nodeId: 'sfu-b', url: 'https://sfu-b.test' });
    assert.equal(await place('apt-first'), first, 'a live visit stays where it is');

    await host.request('end');
    await waitFor('sfu-a empty', () =>
      Promise.resolve(a.node.sfu.status().media.load === 0 ? true : undefined),
    );
    assert.equal(a.node.sfu.status().media.workerStatus?.[0]?.routers, 0, 'router closed');
    await published('sfu-a', 0);

    const third = await place('apt-third');

    assert.is(third.nodeId, 'sfu-a');
  });
}

test.run();
