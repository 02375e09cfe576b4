/**
 * The foundation's one real path, end to end with real processes and sockets: a simulated
 * Contec CMS50D+ writes its frames into a pseudo-terminal (socat) → a real `sparkden-agent`
 * process reads it with serialport, seals and queues → MQTT over mutual TLS → the hub's
 * aedes broker → PostgreSQL → the SpO2 < 90 % for 10 s rule → an alert on a nurse's
 * console over socket.io; and the agent's queue empties only through the hub's acks.
 */
import { createAgentCertificateRequest } from '@sparkden/alerting';
import {
  agentTopic,
  createObservation,
  deriveSealingKey,
  generateSealingKeyPair,
  openJson,
  sealJson,
  type Ack,
} from '@sparkden/protocol';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Hub } from '../hub.js';
import { loginAs, startDemoHub, type DemoHub } from '../testing/demo-hub.js';

const agentBin = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

let demo: DemoHub;
let hub: Hub;
let sql: pg.Client;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

test.before(async () => {
  demo = await startDemoHub('sd_foundation');
  hub = demo.hub;
  sql = new pg.Client({ connectionString: demo.scratch.url });
  await sql.connect();
});

test.after(async () => {
  await sql?.end();
  await demo?.stop();
});

test('a desaturation on a serial oximeter reaches the nurse console as an alert', async () => {
  const token = await loginAs(hub, 'nurse');
  const socket: Socket = connectSocket(`${hub.url}/console`, {
    auth: { token },
    transports: ['websocket'],
  });
  const alerts: Array<{ alert: { code: string; patientId: string; severity: string } }> = [];
  socket.on('alert', (event: (typeof alerts)[number]) => alerts.push(event));
  try {
    const alert = await waitFor('the SpO2 alert on the console', async () =>
      alerts.find((e) => e.alert.code === 'spo2' && e.alert.patientId === 'demo-patient-1'),
    );
    assert.is(alert.alert.patientId, 'demo-patient-1');

    const { rows } = await sql.query<{ low: number; total: number }>(
      `select count(*) filter (where value < 90)::int as low, count(*)::int as total
         from vitals.observation where patient = 'demo-patient-1' and loinc = '2708-6'`,
    );
    assert.ok(rows[0].total > 10, 'readings are stored in PostgreSQL');
    assert.ok(rows[0].low > 0, 'the desaturation is stored');
    const dev = await sql.query(`select distinct transport as t from vitals.observation`);
    assert.equal(
      dev.rows.map((r: { t: string }) => r.t),
      ['serial'],
    );
  } finally {
    socket.close();
  }
});

test('the agent deletes batches only on the hub ack: its queue drains to zero', async () => {
  const stateDir = hub.demo!.agentStateDir;
  const status = await waitFor('an empty agent queue', async () => {
    const out = await run(process.execPath, [agentBin, 'status', '--state-dir', stateDir, '--json'])
      .then((r) => r.stdout)
      .catch((e: { stdout?: string }) => e.stdout ?? '{}');
    const s = JSON.parse(out) as { queue?: { depth: number }; lastAckAt?: string };

    return s.queue?.depth === 0 ? s : undefined;
  });
  assert.is(status.queue?.depth, 0);
});

test('a reading sent twice is stored once, and both sends are acked', async () => {
  const tokenRes = await hub.alerting.fleet.createToken({ createdBy: 'test' });
  const sealing = generateSealingKeyPair();
  const csr = await createAgentCertificateRequest();
  const res = await fetch(`${hub.url}/api/fleet/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token: tokenRes.token,
      csrPem: csr.csrPem,
      sealingPublicKey: Buffer.from(sealing.publicKey).toString('base64url'),
      version: 'test',
    }),
  });
  assert.ok(res.ok, `enrollment over HTTP answered ${res.status}`);
  const e = (await res.json()) as {
    agentId: string;
    certificatePem: string;
    caPem: string;
    hubSealingPublicKey: string;
    keyId: number;
  };
  const key = deriveSealingKey(
    sealing.privateKey,
    Buffer.from(e.hubSealingPublicKey, 'base64url'),
    {
      agentId: e.agentId,
      keyId: e.keyId,
    },
  );
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${hub.mqttPort}`, {
    clientId: e.agentId,
    key: csr.keyPem,
    cert: e.certificatePem,
    ca: e.caPem,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  try {
    const acks: Ack[] = [];
    await client.subscribeAsync(agentTopic(e.agentId, 'down', 'ack'), { qos: 1 });
    client.on('message', (_topic, payload) => {
      acks.push(
        openJson(payload, { key: () => key, agentId: e.agentId, kind: 'ack' }).value as Ack,
      );
    });
    const obs = createObservation({
      patient: 'demo-patient-1',
      device: { id: 'dup-test', transport: 'serial' },
      code: 'heart-rate',
      value: 71,
    });
    const batch = {
      agentId: e.agentId,
      seq: 1,
      sentAt: new Date().toISOString(),
      observations: [obs],
    };
    const frame = sealJson(
      { kind: 'obs', keyId: e.keyId, agentId: e.agentId, seq: 1n },
      batch,
      key,
    );
    await client.publishAsync(agentTopic(e.agentId, 'up', 'obs'), Buffer.from(frame), { qos: 1 });
    await waitFor('the first ack', async () => (acks.length >= 1 ? true : undefined), 20_000);
    await client.publishAsync(agentTopic(e.agentId, 'up', 'obs'), Buffer.from(frame), { qos: 1 });
    await waitFor('the second ack', async () => (acks.length >= 2 ? true : undefined), 20_000);

    assert.is(acks[0].stored, 1);
    assert.is(acks[1].stored, 0);
    assert.is(acks[1].duplicates, 1);
    const { rows } = await sql.query(
      'select count(*)::int as n from vitals.observation where id = $1',
      [obs.id],
    );
    assert.is(rows[0].n, 1);
  } finally {
    await client.endAsync();
  }
});

test.run();
