import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportMissingMedia } from './media-prerequisite.js';
import { startSfuNode, type SfuNode } from './sfu-node.js';
import type { SfuWorkerStatus } from './service.js';
import {
  consumeAll,
  joinVisitPeer,
  produceAudioVideo,
  type SignalingPeer,
} from './testing/index.js';
import { createVisitTokenIssuer, type VisitRole } from './tokens.js';
import { findWorkerBinary } from './worker-binary.js';

// A mediasoup worker SIGKILLed under a live visit, on a real node with one real worker: the
// pool replaces it, the visit's participants are told to rebuild their media, and media built
// again through the real signaling works on the replacement.
const bin = findWorkerBinary();
const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
const peers: SignalingPeer[] = [];
let node: SfuNode | undefined;

async function waitFor<T>(what: string, read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = read();
    if (value !== undefined) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function join(url: string, userId: string, role: VisitRole): Promise<SignalingPeer> {
  const token = await issuer.issue({
    appointmentId: 'apt-worker-death',
    userId,
    role,
    displayName: `name-${userId}`,
  });
  const peer = await joinVisitPeer(url, token);
  peers.push(peer);

  return peer;
}

function onlyWorker(): SfuWorkerStatus {
  const [worker] = node?.sfu.status().media.workerStatus ?? [];
  if (!worker) {
    throw new Error('no worker in status');
  }

  return worker;
}

if (!bin.available) {
  reportMissingMedia(test, 'worker death tests', bin.reason);
} else {
  test.after(async () => {
    for (const p of peers) {
      p.close();
    }
    await node?.stop();
  });

  test('a SIGKILLed worker is replaced and the visit rebuilds its media on the new one', async () => {
    node = await startSfuNode({
      tokenKey: secret,
      port: 0,
      media: { numWorkers: 1, listenIp: '127.0.0.1' },
    });
    const url = `http://127.0.0.1:${node.port}`;
    const host = await join(url, 'doc', 'host');
    const patient = await join(url, 'pat', 'patient');
    await host.request('admit', { participantId: patient.participantId });
    await waitFor('patient admitted', () => patient.received('admitted')[0]);
    await consumeAll(patient, await produceAudioVideo(host));
    const before = onlyWorker();
    assert.equal([before.producers, before.consumers, before.routers], [2, 2, 1]);

    process.kill(before.pid, 'SIGKILL');

    await waitFor('host mediaReset', () => host.received('mediaReset')[0]);
    await waitFor('patient mediaReset', () => patient.received('mediaReset')[0]);
    const replaced = onlyWorker();
    assert.is(replaced.index, before.index);
    assert.is.not(replaced.pid, before.pid);
    assert.equal([replaced.load, replaced.routers], [0, 0], 'nothing survives on the new worker');
    assert.ok(node.sfu.status().media.available);
    assert.is(node.sfu.status().visits, 1, 'the visit itself goes on');

    const producers = await produceAudioVideo(host, 2000);
    const consumers = await consumeAll(patient, producers);

    assert.is(consumers.length, 2);
    const after = onlyWorker();
    assert.is(after.pid, replaced.pid);
    assert.equal([after.producers, after.consumers, after.routers], [2, 2, 1]);
    for (const consumerId of consumers) {
      await patient.request('resumeConsumer', { consumerId });
    }
  });
}

test.run();
