/**
 * The console replay across a killed hub: a real child process runs the alerting service
 * against the real PostgreSQL and is killed with SIGKILL (no shutdown code runs), then a new
 * process starts on the same data. A console that reconnects with its cursor gets every
 * alert event it missed, in order, and nothing it already had.
 */
import {
  agentTopic,
  createObservation,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
} from '@sparkden/protocol';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { AlertEvent } from '../alerts/types.js';
import { createScratchDatabase } from '../db/index.js';

interface HubInfo {
  mqttPort: number;
  consoleUrl: string;
  agent?: {
    agentId: string;
    keyPem: string;
    certPem: string;
    caPem: string;
    keyId: number;
    sealingKey: string;
  };
}

interface HubProcess {
  child: ChildProcess;
  info: HubInfo;
}

type Agent = Omit<NonNullable<HubInfo['agent']>, 'sealingKey'> & { sealingKey: Uint8Array };

const script = fileURLToPath(new URL('./test-hub-process.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

function startHub(dataDir: string, databaseUrl: string, enroll: boolean): Promise<HubProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      SD_HUB_DATA_DIR: dataDir,
      SD_HUB_DATABASE_URL: databaseUrl,
      SD_HUB_ENROLL: enroll ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });

  return new Promise((resolve, reject) => {
    lines.once('line', (line) => resolve({ child, info: JSON.parse(line) as HubInfo }));
    child.once('exit', (code, signal) => reject(new Error(`hub exited (${code ?? signal})`)));
  });
}

function kill(hub: HubProcess, signal: NodeJS.Signals): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) {
    return Promise.resolve();
  }
  const exited = new Promise<void>((resolve) => hub.child.once('exit', () => resolve()));
  hub.child.kill(signal);

  return exited;
}

async function connectAgent(agent: Agent, port: number) {
  const client: MqttClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  const waiting: Array<(ack: Ack) => void> = [];
  client.on('message', (_topic, payload) => {
    const { value } = openJson(payload, {
      key: () => agent.sealingKey,
      agentId: agent.agentId,
      kind: 'ack',
    });
    waiting.shift()?.(parseMessage('ack', value));
  });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });

  // SpO2 82 % for 11 s: `spo2-low` and NEWS2 both raise an alert for the patient.
  const desaturate = async (patient: string, seq: number): Promise<Ack> => {
    const t0 = Date.now() - 30_000;
    const observations = [0, 5_000, 11_000].map((dt) =>
      createObservation({
        patient,
        device: { id: `ox-${patient}`, transport: 'serial' },
        code: 'spo2',
        value: 82,
        effectiveAt: new Date(t0 + dt).toISOString(),
      }),
    );
    const body = { agentId: agent.agentId, seq, sentAt: new Date().toISOString(), observations };
    const frame = sealJson(
      { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(seq) },
      body,
      agent.sealingKey,
    );
    const acked = new Promise<Ack>((resolve) => waiting.push(resolve));
    await client.publishAsync(agentTopic(agent.agentId, 'up', 'obs'), Buffer.from(frame), {
      qos: 1,
    });

    return acked;
  };

  return { client, desaturate };
}

interface Console {
  socket: Socket;
  events: AlertEvent[];
  ready: Promise<number>;
  /** Resolves once an event matches. */
  seen(match: (e: AlertEvent) => boolean): Promise<AlertEvent>;
}

function openConsole(url: string, cursor?: number): Console {
  const socket = connect(url, {
    auth: { token: 'tok-nurse', cursor },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const events: AlertEvent[] = [];
  const watchers: Array<() => void> = [];
  socket.on('alert', (e: AlertEvent) => {
    events.push(e);
    watchers.splice(0).forEach((w) => w());
  });
  const ready = new Promise<number>((resolve, reject) => {
    socket.once('ready', (r: { cursor: number }) => resolve(r.cursor));
    socket.once('connect_error', reject);
  });
  const seen = async (match: (e: AlertEvent) => boolean) => {
    for (;;) {
      const found = events.find(match);
      if (found !== undefined) {
        return found;
      }
      await new Promise<void>((resolve) => watchers.push(resolve));
    }
  };

  return { socket, events, ready, seen };
}

const raisedFor = (patient: string) => (e: AlertEvent) =>
  e.kind === 'raised' && e.patientId === patient;

test('SIGKILL the hub: a console reconnecting with its cursor gets every alert it missed', async () => {
  const scratch = await createScratchDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-kill-'));
  const hubs: HubProcess[] = [];
  const admin = new pg.Client({ connectionString: scratch.url });
  try {
    hubs.push(await startHub(dataDir, scratch.url, true));
    const first = hubs[0];
    const credentials = first.info.agent!;
    const agent: Agent = {
      ...credentials,
      sealingKey: Uint8Array.from(Buffer.from(credentials.sealingKey, 'hex')),
    };

    const live = openConsole(first.info.consoleUrl);
    await live.ready;
    const a1 = await connectAgent(agent, first.info.mqttPort);
    assert.is((await a1.desaturate('p-k1', 1)).stored, 3);
    await live.seen(raisedFor('p-k1'));
    live.socket.disconnect();
    const cursor = Math.max(...live.events.map((e) => e.cursor));

    // Missed by the console: raised while it was away, then the hub dies without a shutdown.
    // The ack comes only after the engine committed the alerts.
    assert.is((await a1.desaturate('p-k2', 2)).stored, 3);
    a1.client.end(true);
    await kill(first, 'SIGKILL');
    assert.is(first.child.signalCode, 'SIGKILL');

    hubs.push(await startHub(dataDir, scratch.url, false));
    const second = hubs[1];
    const back = openConsole(second.info.consoleUrl, cursor);
    await back.ready;

    await admin.connect();
    const { rows } = await admin.query<{ cursor: string }>(
      'select cursor from alerting.alert_events where cursor > $1 order by cursor',
      [cursor],
    );
    const missed = rows.map((r) => Number(r.cursor));
    assert.ok(missed.length >= 2, 'the hub recorded events after the cursor before it died');
    assert.equal(
      back.events.map((e) => e.cursor),
      missed,
      'the replay is exactly the events after the cursor, in order',
    );
    assert.equal(
      back.events
        .filter(raisedFor('p-k2'))
        .map((e) => e.alert.ruleId)
        .sort(),
      ['news2', 'spo2-low'],
    );
    assert.not.ok(back.events.some(raisedFor('p-k1')), 'nothing it already had');

    // The restarted hub serves on: a new alert reaches the reconnected console live.
    const a2 = await connectAgent(agent, second.info.mqttPort);
    assert.is((await a2.desaturate('p-k3', 3)).stored, 3);
    await back.seen(raisedFor('p-k3'));
    a2.client.end(true);
    back.socket.disconnect();
  } finally {
    for (const hub of hubs) {
      await kill(hub, 'SIGTERM');
    }
    await admin.end().catch(() => undefined);
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
