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
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent, type TestAgent } from '../fleet/index.js';
import type { FrameHandled } from '../ingest/index.js';
import { CertificateAuthority } from '../pki/index.js';
import { createAlertingService, type AlertingService } from '../service.js';
import { issueTestClientCertificate, startTestMosquitto } from './mosquitto-fixture.js';
import { UpstreamLink } from './upstream-link.js';

// The hub behind a broker it does not run: agents connect to Mosquitto (mutual TLS, CN as
// username, per-agent ACL), and the hub's alerting service is one more client of it.

const ca = await CertificateAuthority.create('upstream test CA');
const mosquitto = await startTestMosquitto({ ca });
const hubCert = await issueTestClientCertificate(ca, 'sparkden-hub');
const scratch = await createScratchDatabase('sd_upstream');
const dataDir = await mkdtemp(join(tmpdir(), 'sd-upstream-'));
const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
const service: AlertingService = await createAlertingService({
  dataDir,
  databaseUrl: scratch.url,
  ca: { certPem: ca.pem, keyPem: await ca.exportKeyPem() },
  mqtt: { port: 0, host: '127.0.0.1', upstream: { url: mosquitto.url, ...hubCert } },
  engine: false,
});
await service.start();
const handled: FrameHandled[] = [];
service.ingest.on('frameHandled', (h) => handled.push(h));
const clients: MqttClient[] = [];

async function connectToMosquitto(a: TestAgent): Promise<MqttClient> {
  const client = await mqtt.connectAsync(mosquitto.url, {
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

function openDown(a: TestAgent, kind: 'ack' | 'config', payload: Buffer): unknown {
  return openJson(payload, { key: () => a.sealingKey, agentId: a.agentId, kind }).value;
}

function nextHandled(agentId: string): Promise<FrameHandled> {
  return new Promise((resolve) => {
    const on = (h: FrameHandled) => {
      if (h.agentId === agentId) {
        service.ingest.off('frameHandled', on);
        resolve(h);
      }
    };
    service.ingest.on('frameHandled', on);
  });
}

function reading(value: number): Observation {
  return createObservation({
    patient: 'p-upstream-1',
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

async function storedFor(agentId: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from vitals.observation where agent_id = $1',
    [agentId],
  );

  return rows[0].n;
}

test('readings through Mosquitto are stored once and acked back through it', async () => {
  const a = await enrollTestAgent(service.fleet);
  const client = await connectToMosquitto(a);
  const ackTopic = agentTopic(a.agentId, 'down', 'ack');
  const acks: Ack[] = [];
  client.on('message', (t, p) => {
    if (t === ackTopic) {
      acks.push(parseMessage('ack', openDown(a, 'ack', p)));
    }
  });
  await client.subscribeAsync(ackTopic, { qos: 1 });
  const up = agentTopic(a.agentId, 'up', 'obs');
  const batches = [1, 2, 3].map((seq) => ({ seq, observations: [reading(97), reading(96)] }));

  for (const b of batches) {
    const acked = nextOn(client, ackTopic, (p) => parseMessage('ack', openDown(a, 'ack', p)));
    await client.publishAsync(up, sealBatch(a, b.seq, b.observations), { qos: 1 });
    const ack = await acked;
    assert.equal([ack.seq, ack.stored, ack.duplicates], [b.seq, 2, 0]);
  }
  const resent = nextOn(client, ackTopic, (p) => parseMessage('ack', openDown(a, 'ack', p)));
  await client.publishAsync(up, sealBatch(a, 2, batches[1].observations), { qos: 1 });
  const dup = await resent;

  assert.equal([dup.seq, dup.stored, dup.duplicates], [2, 0, 2]);
  assert.is(await storedFor(a.agentId), 6, 'each reading stored once');
  assert.equal(
    acks.map((k) => k.seq),
    [1, 2, 3, 2],
  );
  assert.not.ok(service.broker.isConnected(a.agentId), "never on the hub's own broker");
});

test('a configuration is pushed retained through Mosquitto', async () => {
  const a = await enrollTestAgent(service.fleet);
  await service.fleet.setConfig(a.agentId, { heartbeatSeconds: 15 }, 'it-1');

  // Connected after the push: Mosquitto holds the retained copy.
  const client = await connectToMosquitto(a);
  const topic = agentTopic(a.agentId, 'down', 'config');
  const retained = nextOn(client, topic, (p) => parseMessage('config', openDown(a, 'config', p)));
  await client.subscribeAsync(topic, { qos: 1 });
  const push: AgentConfigPush = await retained;

  assert.equal(push.config, { heartbeatSeconds: 15 });
});

test("a frame sealed by one agent is refused on another agent's topic", async () => {
  const a = await enrollTestAgent(service.fleet);
  const b = await enrollTestAgent(service.fleet);
  const clientB = await connectToMosquitto(b);
  const observations = [reading(88)];
  // B replays A's sealed batch on its own uplink: the header names A, the topic names B.
  const refused = nextHandled(b.agentId);
  await clientB.publishAsync(agentTopic(b.agentId, 'up', 'obs'), sealBatch(a, 1, observations), {
    qos: 1,
  });
  const outcome = (await refused).outcome;

  assert.equal(outcome, { status: 'refused', code: 'ENVELOPE_HEADER_MISMATCH' });
  assert.is(await storedFor(a.agentId), 0);
  assert.is(await storedFor(b.agentId), 0);
});

test("Mosquitto's ACL keeps an agent off another agent's uplink", async () => {
  const a = await enrollTestAgent(service.fleet);
  const b = await enrollTestAgent(service.fleet);
  const clientB = await connectToMosquitto(b);
  const before = handled.length;

  // MQTT 3.1.1 has no way to refuse a PUBLISH: Mosquitto acks it and drops it.
  await clientB.publishAsync(agentTopic(a.agentId, 'up', 'obs'), sealBatch(b, 1, [reading(90)]), {
    qos: 1,
  });
  // One connection's frames arrive in order: once B's next frame is handled, the first is past.
  const next = nextHandled(b.agentId);
  await clientB.publishAsync(agentTopic(b.agentId, 'up', 'obs'), sealBatch(b, 1, [reading(91)]), {
    qos: 1,
  });
  await next;

  const seen = handled.slice(before).map((h) => h.agentId);
  assert.equal(seen, [b.agentId], 'only the frame on its own topic reached the hub');
  assert.is(await storedFor(b.agentId), 1);
});

test('the upstream link refuses plain MQTT off loopback and a broker it cannot reach', async () => {
  assert.throws(() => new UpstreamLink({ url: 'mqtt://broker.example.org:1883' }), /mqtts/);
  assert.throws(() => new UpstreamLink({ url: 'http://127.0.0.1' }), /"upstream.url"/);
  // Without a client certificate Mosquitto ends the TLS handshake.
  const link = new UpstreamLink({ url: mosquitto.url, caPem: ca.pem });
  const error = await link.start().catch((e: Error) => e);
  assert.instance(error, Error);
  assert.match((error as Error).message, /upstream broker/);
  await link.close();
});

test.after(async () => {
  for (const c of clients) {
    await c.endAsync(true);
  }
  await service.stop();
  await mosquitto.stop();
  await pool.end();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test.run();
