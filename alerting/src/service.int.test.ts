import {
  agentTopic,
  createObservation,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
  type Observation,
} from '@sparkden/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { TEST_SERVER_URL, createScratchDatabase } from './db/index.js';
import { enrollTestAgent, type TestAgent } from './fleet/index.js';
import { createAlertingService, type AlertingService } from './service.js';

const PATIENT = 'p-e2e-7731';
const logs: string[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  }),
);

const scratch = await createScratchDatabase();
const dataDir = await mkdtemp(join(tmpdir(), 'sd-service-'));
const service: AlertingService = await createAlertingService({
  dataDir,
  databaseUrl: scratch.url,
  mqtt: { port: 0, host: '127.0.0.1' },
  logger,
});
const { mqtt: ports } = await service.start();
const agent = await enrollTestAgent(service.fleet);
const acks: Ack[] = [];
let seq = 0;

const client: MqttClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${ports.tls}`, {
  protocolVersion: 4,
  reconnectPeriod: 0,
  clientId: agent.agentId,
  key: agent.keyPem,
  cert: agent.certPem,
  ca: agent.caPem,
  clean: false,
});
await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });
const waiters: Array<(ack: Ack) => void> = [];
client.on('message', (_topic, payload) => {
  const { value } = openJson(payload, {
    key: () => agent.sealingKey,
    agentId: agent.agentId,
    kind: 'ack',
  });
  const ack = parseMessage('ack', value);
  acks.push(ack);
  waiters.shift()?.(ack);
});

function nextAck(): Promise<Ack> {
  return new Promise((resolve) => waiters.push(resolve));
}

function reading(value: number, at = Date.now()): Observation {
  return createObservation({
    patient: PATIENT,
    device: { id: 'ox-1', model: 'CMS50D+', transport: 'serial' },
    code: 'spo2',
    value,
    effectiveAt: new Date(at).toISOString(),
  });
}

function sealBatch(a: TestAgent, observations: unknown[], batchSeq = ++seq): Uint8Array {
  const body = {
    agentId: a.agentId,
    seq: batchSeq,
    sentAt: new Date().toISOString(),
    observations,
  };

  return sealJson(
    { kind: 'obs', keyId: a.keyId, agentId: a.agentId, seq: BigInt(batchSeq) },
    body,
    a.sealingKey,
  );
}

async function publish(kind: 'obs' | 'alarm', frame: Uint8Array) {
  await client.publishAsync(agentTopic(agent.agentId, 'up', kind), Buffer.from(frame), { qos: 1 });
  // The broker hands the frame to ingest before it acknowledges the PUBLISH.
  await service.ingest.drain();
}

async function countStored(ids: string[]): Promise<number> {
  // A separate connection: it sees only committed rows.
  const c = new pg.Client({ connectionString: scratch.url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      'select count(*) n from vitals.observation where id = any($1::uuid[])',
      [ids],
    );

    return Number(r.rows[0].n);
  } finally {
    await c.end();
  }
}

test('a sealed batch over mutual TLS is committed, then acked; a resend is a duplicate', async () => {
  const batch = [reading(97), reading(96), reading(95)];
  const frame = sealBatch(agent, batch);

  const first = nextAck();
  await publish('obs', frame);
  const ack = await first;
  assert.equal([ack.kind, ack.stored, ack.duplicates, ack.rejected], ['obs', 3, 0, []]);
  assert.is(await countStored(batch.map((o) => o.id)), 3, 'committed when the ack arrives');

  const second = nextAck();
  await publish('obs', frame);
  const again = await second;
  assert.equal([again.seq, again.stored, again.duplicates], [ack.seq, 0, 3]);
  assert.is(await countStored(batch.map((o) => o.id)), 3);

  const activity = await service.store.deviceActivity({ patient: PATIENT });
  assert.is(activity[0]?.deviceId, 'ox-1', 'the last reading time is kept per device');
});

test('an invalid reading is rejected on its own; the rest are stored', async () => {
  const good = reading(93);
  const bad = { ...reading(92), unit: 'mmol/L' };
  const acked = nextAck();
  await publish('obs', sealBatch(agent, [good, bad]));
  const ack = await acked;

  assert.is(ack.stored, 1);
  assert.equal(
    ack.rejected.map((r) => r.id),
    [bad.id],
  );
  assert.match(ack.rejected[0].reason, /unit/);
  assert.is(await countStored([good.id, bad.id]), 1);
});

test('a reading the database refuses (SQLSTATE 22) is rejected alone, not resent forever', async () => {
  const good = reading(94);
  // Valid by the contract, but PostgreSQL text cannot hold NUL.
  const poison = { ...reading(94), patient: 'p-\u0000' };
  const acked = nextAck();
  await publish('obs', sealBatch(agent, [good, poison]));
  const ack = await acked;

  assert.is(ack.stored, 1);
  assert.equal(
    ack.rejected.map((r) => r.id),
    [poison.id],
  );
  assert.match(ack.rejected[0].reason, /SQLSTATE 22/);
  assert.is(await countStored([good.id, poison.id]), 1);
});

test('a tampered frame is refused and nothing of it is stored', async () => {
  const batch = [reading(91)];
  const frame = sealBatch(agent, batch);
  frame[frame.length - 20] ^= 0x40;
  const before = acks.length;

  await publish('obs', frame);

  assert.is(acks.length, before, 'no ack');
  assert.is(await countStored([batch[0].id]), 0);
  assert.ok(logs.some((l) => l.includes('ENVELOPE_AUTH_FAILED')));
});

test('a device alarm is stored and raises an alert through the real engine', async () => {
  const alarmId = crypto.randomUUID();
  const body = {
    agentId: agent.agentId,
    seq: ++seq,
    sentAt: new Date().toISOString(),
    alarms: [
      {
        id: alarmId,
        patient: PATIENT,
        deviceId: 'ox-1',
        kind: 'device',
        severity: 'urgent',
        code: 'probe-off',
        reason: 'sensor-detached',
        raisedAt: new Date().toISOString(),
      },
    ],
  };
  const frame = sealJson(
    { kind: 'alarm', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(seq) },
    body,
    agent.sealingKey,
  );
  const acked = nextAck();
  await publish('alarm', frame);
  const ack = await acked;

  assert.equal([ack.kind, ack.stored], ['alarm', 1]);
  const open = service.engine!.openByPatient().find((g) => g.patientId === PATIENT);
  assert.ok(
    open?.alerts.some((a) => a.code === 'probe-off'),
    'the engine raised it',
  );
});

test('database down: no ack, the process keeps serving; after recovery the resend is acked', async () => {
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  const batch = [reading(90), reading(89)];
  const frame = sealBatch(agent, batch);
  const before = acks.length;
  const deferred = service.ingest.stats().deferred;
  try {
    await admin.query(`alter database ${scratch.name} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
      scratch.name,
    ]);

    await publish('obs', frame);

    assert.is(acks.length, before, 'no ack while the database is down');
    assert.is(service.ingest.stats().deferred, deferred + 1);
    assert.ok(logs.some((l) => l.includes('STORE_UNAVAILABLE')));
  } finally {
    await admin.query(`alter database ${scratch.name} allow_connections true`);
    await admin.end();
  }

  const acked = nextAck();
  await publish('obs', frame);
  const ack = await acked;
  assert.equal([ack.stored, ack.duplicates], [2, 0]);
  assert.is(await countStored(batch.map((o) => o.id)), 2);
});

test('frames sealed under a revoked key are refused', async () => {
  const other = await enrollTestAgent(service.fleet);
  const frame = sealBatch(other, [reading(88)], 1);
  await service.fleet.revoke(other.agentId, { by: 'it-1' });

  const outcome = await service.ingest.handle({
    agentId: other.agentId,
    kind: 'obs',
    payload: frame,
  });

  assert.equal(outcome, { status: 'refused', code: 'ENVELOPE_UNKNOWN_KEY' });
});

test('the heartbeat and the last will give the fleet view its online state', async () => {
  const other = await enrollTestAgent(service.fleet);
  const status = (state: 'online' | 'offline') =>
    Buffer.from(
      sealJson(
        { kind: 'status', keyId: other.keyId, agentId: other.agentId, seq: 0n },
        {
          agentId: other.agentId,
          state,
          sentAt: new Date().toISOString(),
          version: '1.2.3',
          queue: { depth: 7, bytes: 4096, oldestAgeMs: 5000, alarms: 1 },
          devices: [{ id: 'ox-2', driver: 'cms50d', state: 'connected' }],
        },
        other.sealingKey,
      ),
    );
  const topic = agentTopic(other.agentId, 'up', 'status');
  const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${ports.tls}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: other.agentId,
    key: other.keyPem,
    cert: other.certPem,
    ca: other.caPem,
    will: { topic, payload: status('offline'), qos: 1, retain: true },
  });
  const row = async () => (await service.fleet.listAgents()).find((a) => a.id === other.agentId)!;

  await c.publishAsync(topic, status('online'), { qos: 1, retain: true });
  await service.ingest.drain();
  const online = await row();
  assert.ok(online.online);
  assert.equal([online.status?.queue.depth, online.version], [7, '1.2.3']);

  // An ungraceful loss of the link: the broker publishes the will.
  c.stream.destroy();
  for (let i = 0; i < 200 && (await row()).status?.state !== 'offline'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    await service.ingest.drain();
  }
  const offline = await row();
  assert.is(offline.status?.state, 'offline');
  assert.not.ok(offline.online);
  c.end(true);
});

test('logs carry opaque ids and codes, never patient references or values', () => {
  assert.ok(logs.length > 0);
  for (const line of logs) {
    assert.not.ok(line.includes(PATIENT), `no patient id in: ${line}`);
    assert.not.ok(/"value"/.test(line), `no values in: ${line}`);
  }
});

test.after(async () => {
  client.end(true);
  await service.stop();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test.run();
