import {
  agentTopic,
  createObservation,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
  type AgentConfigPush,
  type Observation,
} from '@sparkden/protocol';
import { Redis } from 'ioredis';
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent, type TestAgent } from '../fleet/index.js';
import { createAlertingService, type AlertingService } from '../service.js';

// Two hub processes' alerting services on one database, their brokers sharing the real
// Redis under a namespace of this run's own.

const REDIS_URL = 'redis://127.0.0.1:6379';
const namespace = `sdtest-${randomBytes(6).toString('hex')}`;
const redis = new Redis(REDIS_URL);
const scratch = await createScratchDatabase('sd_hub_cluster');
// One data dir: the hubs of a deployment share the CA and the hub sealing keys.
const dataDir = await mkdtemp(join(tmpdir(), 'sd-cluster-'));
const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });

function hub(): Promise<AlertingService> {
  return createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: false,
    // Longer than the test: hub 2 learns of hub 1's agent only when it connects.
    fleetRefreshMs: 3_600_000,
    redisUrl: REDIS_URL,
    redisNamespace: namespace,
  });
}

const hub1 = await hub();
const hub2 = await hub();
await hub1.start();
const { mqtt: ports2 } = await hub2.start();
const clients: MqttClient[] = [];

async function connectToHub2(a: TestAgent): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${ports2.tls}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: a.agentId,
    key: a.keyPem,
    cert: a.certPem,
    ca: a.caPem,
    clean: true,
  });
  clients.push(client);

  return client;
}

function nextOn<T>(client: MqttClient, topic: string, open: (payload: Buffer) => T): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer) => {
      if (t === topic) {
        client.off('message', onMessage);
        resolve(open(payload));
      }
    };
    client.on('message', onMessage);
  });
}

function openConfig(a: TestAgent, payload: Buffer): AgentConfigPush {
  const { value } = openJson(payload, {
    key: () => a.sealingKey,
    agentId: a.agentId,
    kind: 'config',
  });

  return parseMessage('config', value);
}

function openAck(a: TestAgent, payload: Buffer): Ack {
  const { value } = openJson(payload, { key: () => a.sealingKey, agentId: a.agentId, kind: 'ack' });

  return parseMessage('ack', value);
}

function reading(value: number): Observation {
  return createObservation({
    patient: 'p-cluster-1',
    device: { id: 'ox-1', model: 'CMS50D+', transport: 'serial' },
    code: 'spo2',
    value,
    effectiveAt: new Date().toISOString(),
  });
}

function sealBatch(a: TestAgent, seq: number, observations: Observation[]): Buffer {
  const body = { agentId: a.agentId, seq, sentAt: new Date().toISOString(), observations };
  const header = { kind: 'obs' as const, keyId: a.keyId, agentId: a.agentId, seq: BigInt(seq) };

  return Buffer.from(sealJson(header, body, a.sealingKey));
}

async function countStored(ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from vitals.observation where id = any($1::uuid[])',
    [ids],
  );

  return rows[0].n;
}

test('a config pushed through hub 1 reaches an agent on hub 2, retained and live', async () => {
  const a = await enrollTestAgent(hub1.fleet);
  await hub1.fleet.setConfig(a.agentId, { heartbeatSeconds: 30 }, 'it-1');

  // Connected after the push, to the other hub: the retained copy comes from Redis.
  const client = await connectToHub2(a);
  const configTopic = agentTopic(a.agentId, 'down', 'config');
  const retained = nextOn(client, configTopic, (p) => openConfig(a, p));
  await client.subscribeAsync(configTopic, { qos: 1 });
  const first = await retained;
  assert.equal(first.config, { heartbeatSeconds: 30 });
  assert.ok(hub2.broker.isConnected(a.agentId), 'served by hub 2');
  assert.not.ok(hub1.broker.isConnected(a.agentId), 'not by hub 1');

  // While it stays connected to hub 2, hub 1 pushes again.
  const live = nextOn(client, configTopic, (p) => openConfig(a, p));
  await hub1.fleet.setConfig(a.agentId, { heartbeatSeconds: 10 }, 'it-1');
  const second = await live;
  assert.is(second.version, first.version + 1);
  assert.equal(second.config, { heartbeatSeconds: 10 });
});

test('readings through hub 2 are ingested there alone, stored once and acked once', async () => {
  const a = await enrollTestAgent(hub1.fleet);
  const client = await connectToHub2(a);
  const ackTopic = agentTopic(a.agentId, 'down', 'ack');
  const acks: Ack[] = [];
  client.on('message', (t, p) => {
    if (t === ackTopic) {
      acks.push(openAck(a, p));
    }
  });
  await client.subscribeAsync(ackTopic, { qos: 1 });
  const frames1 = hub1.ingest.stats().frames;
  const frames2 = hub2.ingest.stats().frames;
  const batches = [1, 2, 3].map((seq) => ({ seq, observations: [reading(97), reading(96)] }));
  const up = agentTopic(a.agentId, 'up', 'obs');

  for (const b of batches) {
    const acked = nextOn(client, ackTopic, (p) => openAck(a, p));
    await client.publishAsync(up, sealBatch(a, b.seq, b.observations), { qos: 1 });
    assert.is((await acked).seq, b.seq);
  }
  // A resend (the agent missed an ack): a duplicate in effect, acked once more.
  const resent = nextOn(client, ackTopic, (p) => openAck(a, p));
  await client.publishAsync(up, sealBatch(a, 1, batches[0].observations), { qos: 1 });
  const dup = await resent;
  await hub2.ingest.drain();

  const ids = batches.flatMap((b) => b.observations.map((o) => o.id));
  assert.is(await countStored(ids), ids.length, 'every reading stored');
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from vitals.observation where agent_id = $1',
    [a.agentId],
  );
  assert.is(rows[0].n, ids.length, 'and none twice');
  assert.equal([dup.seq, dup.stored, dup.duplicates], [1, 0, 2]);
  assert.equal(
    acks.map((k) => k.seq),
    [1, 2, 3, 1],
    'one ack per frame sent',
  );
  assert.is(hub2.ingest.stats().frames - frames2, 4, 'hub 2 ingested each frame');
  assert.is(hub1.ingest.stats().frames - frames1, 0, 'hub 1 saw none of them');
});

test("an agent's retained status is kept in the shared store", async () => {
  const a = await enrollTestAgent(hub1.fleet);
  const client = await connectToHub2(a);
  const topic = agentTopic(a.agentId, 'up', 'status');

  await client.publishAsync(topic, Buffer.from('sealed-status'), { qos: 1, retain: true });

  // aedes-persistence-redis keeps retained messages in one hash, keyed by topic.
  const topics = await redis.hkeys(`${namespace}:mqtt:retained`);
  assert.ok(topics.includes(topic), 'every hub sees the retained status');
});

test.after(async () => {
  for (const c of clients) {
    await c.endAsync(true);
  }
  await hub1.stop();
  await hub2.stop();
  await pool.end();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== '0');
  assert.equal(await redis.keys(`${namespace}:*`), [], 'Redis keys cleaned');
  redis.disconnect();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test.run();
