import { agentTopic } from '@sparkden/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase, runMigrations } from '../db/index.js';
import { Fleet, enrollTestAgent, fleetMigrations, type TestAgent } from '../fleet/index.js';
import { generateSealingKeyPair } from '@sparkden/protocol';
import { CertificateAuthority, createAgentCertificateRequest } from '../pki/index.js';
import { HubBroker } from './hub-broker.js';

const scratch = await createScratchDatabase();
const db = await openDatabase({ url: scratch.url });
await runMigrations(db, { schema: 'fleet', migrations: fleetMigrations });
const ca = await CertificateAuthority.create('broker test CA');
const server = await ca.issueServerCertificate(['localhost', '127.0.0.1']);
const fleet = await Fleet.open({ db, ca, hubKey: generateSealingKeyPair() });
const broker = new HubBroker({
  access: fleet,
  tls: { port: 0, host: '127.0.0.1', certPem: server.pem, keyPem: server.keyPem, caPem: ca.pem },
  plain: { port: 0 },
});
fleet.on('agentRevoked', (id) => broker.disconnectAgent(id));
const ports = await broker.start();
const url = `mqtts://127.0.0.1:${ports.tls}`;
const open: MqttClient[] = [];

function connect(options: mqtt.IClientOptions, target = url): Promise<MqttClient> {
  const client = mqtt.connect(target, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    rejectUnauthorized: true,
    ...options,
  });
  open.push(client);

  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const closeOf = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));
const nextMessage = (c: MqttClient) =>
  new Promise<[string, Buffer]>((resolve) => c.once('message', (t, p) => resolve([t, p])));

// mqtt.js reports a SUBACK failure (0x80) as an error.
function grant(client: MqttClient, topic: string): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    client.subscribe(topic, { qos: 1 }, (error, granted) => {
      resolve(error ? 'refused' : (granted?.[0]?.qos ?? -1));
    });
  });
}

const asAgent = (a: TestAgent, clientId = a.agentId) =>
  connect({ key: a.keyPem, cert: a.certPem, ca: a.caPem, clientId, clean: true });

test('an enrolled agent connects over mutual TLS and is confined to its own topics', async () => {
  const a = await enrollTestAgent(fleet);
  const b = await enrollTestAgent(fleet);
  const client = await asAgent(a);

  assert.is(await grant(client, agentTopic(a.agentId, 'down', 'ack')), 1);
  const other = await grant(client, agentTopic(b.agentId, 'down', 'ack'));
  assert.is(other, 'refused', "another agent's topic is refused");
  assert.is(await grant(client, 'sd/v1/agent/+/up/obs'), 'refused', 'wildcards are refused');
  const up = await grant(client, agentTopic(a.agentId, 'up', 'obs'));
  assert.is(up, 'refused', 'an agent cannot listen to its own uplink');

  // The hub publishes to it.
  const got = nextMessage(client);
  await broker.publishToAgent(a.agentId, 'ack', Buffer.from('sealed-bytes'));
  const [topic, payload] = await got;
  assert.is(topic, agentTopic(a.agentId, 'down', 'ack'));
  assert.is(payload.toString(), 'sealed-bytes');

  // Publishing into another agent's uplink gets the connection dropped.
  const messages: string[] = [];
  broker.on('agentMessage', (m) => messages.push(`${m.agentId}/${m.kind}`));
  const closed = closeOf(client);
  client.publish(agentTopic(b.agentId, 'up', 'obs'), 'forged', { qos: 1 });
  await closed;
  assert.equal(messages, [], 'nothing forged reached the hub');

  // Its own uplink reaches the hub.
  const again = await asAgent(a);
  const seen = once(broker, 'agentMessage');
  await again.publishAsync(agentTopic(a.agentId, 'up', 'obs'), 'frame', { qos: 1 });
  const [m] = (await seen) as [{ agentId: string; kind: string; payload: Buffer }];
  assert.equal([m.agentId, m.kind, m.payload.toString()], [a.agentId, 'obs', 'frame']);
  again.end(true);
});

test('no certificate, a certificate from another CA, or a client id other than the CN: refused', async () => {
  const a = await enrollTestAgent(fleet);

  const noCert = await connect({ ca: ca.pem, clientId: a.agentId }).catch((e: Error) => e);
  assert.instance(noCert, Error, 'no client certificate');

  const rogueCa = await CertificateAuthority.create('rogue CA');
  const request = await createAgentCertificateRequest();
  const rogue = await rogueCa.signAgentCsr(request.csrPem, { agentId: a.agentId });
  const foreign = await connect({
    key: request.keyPem,
    cert: rogue.pem,
    ca: ca.pem,
    clientId: a.agentId,
  }).catch((e: Error) => e);
  assert.instance(foreign, Error, 'a certificate from another CA');

  const mismatch = await asAgent(a, 'someone-else').catch((e: Error & { code?: number }) => e);
  assert.instance(mismatch, Error);
  assert.is((mismatch as { code?: number }).code, 2, 'CONNACK 2: identifier rejected');
  assert.not.ok(broker.isConnected('someone-else'));
});

test('a revoked agent is dropped at once and refused afterwards', async () => {
  const a = await enrollTestAgent(fleet);
  const client = await asAgent(a);
  assert.ok(broker.isConnected(a.agentId));

  const closed = closeOf(client);
  await fleet.revoke(a.agentId, { by: 'it-1' });
  await closed;
  assert.not.ok(broker.isConnected(a.agentId));

  // Refused with CONNACK 5 (not authorized), so the agent can tell revoked from unreachable.
  const retry = await asAgent(a).catch((e: Error & { code?: number }) => e);
  assert.instance(retry, Error);
  assert.is((retry as { code?: number }).code, 5);
});

test('the loopback listener takes only enrolled, active client ids', async () => {
  const a = await enrollTestAgent(fleet);
  const plainUrl = `mqtt://127.0.0.1:${ports.plain}`;

  const ok = await connect({ clientId: a.agentId }, plainUrl);
  assert.ok(ok.connected);
  ok.end(true);
  const stranger = await connect({ clientId: 'agent-unknown' }, plainUrl).catch((e: Error) => e);
  assert.instance(stranger, Error);
  assert.throws(
    () =>
      new HubBroker({
        access: fleet,
        tls: { port: 0, certPem: '', keyPem: '', caPem: '' },
        plain: { port: 0, host: '0.0.0.0' },
      }),
    /loopback/,
  );
});

test.after(async () => {
  for (const c of open) {
    c.end(true);
  }
  await broker.close();
  await db.close();
  await scratch.drop();
});

test.run();
