/**
 * `kill -9` of a real `sparkden-agent` process, against the hub stand-in
 * (`test-support/hub-stand-in.ts`): a test-only broker and ingest inside this test process,
 * storing into its own `obs` table. It is not the product hub: not its ingest, its ack path or
 * `vitals.observation`. The stand-in lets these tests read what was stored by reading id.
 * The same fault against the real hub, a `sparkden start` process on PostgreSQL, is
 * `gateway/src/hub/agent-kill-nine.int.test.ts`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { connectAsync } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { mqttClientId } from './sources/mqtt-client-id.js';
import { STATE_FILES } from './state-dir.js';
import { readLocalStatus } from './status.js';
import {
  createAgentEnv,
  spawnAgent,
  type AgentProcess,
  waitFor,
  writeReadings,
} from './test-support/agent-fixture.js';
import { startCountingDevice } from './test-support/counting-mqtt-device.js';
import { HubStandIn } from './test-support/hub-stand-in.js';
import { readQueueFile } from './test-support/queue-reader.js';

// [issue 4: kill -9 at random moments during a 10,000-reading stream, twenty times]
const READINGS = 10_000;
const KILLS = 20;
/** Mosquitto, standing in for a home gateway's broker. */
const DEVICE_BROKER = process.env.SD_DEVICE_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

let scratch: ScratchDatabase;
let hub: HubStandIn;

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_kill');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

test('kill -9 twenty times during a 10,000-reading stream: every reading stored exactly once', async () => {
  await hub.pool.query('truncate obs, alarm');
  const env = await createAgentEnv(hub, {});
  try {
    const file = join(env.dir, 'stream.ndjson');
    const ids = writeReadings(file, READINGS);
    // Paced so the stream spans the kills: each life reads for a random fraction of a second.
    env.writeConfig({
      devices: [
        {
          id: 'oxi-1',
          driver: 'ndjson-file',
          patient: 'p-1',
          file: { path: file, ratePerSecond: 1000 },
        },
      ],
      uplink: { ackTimeoutSeconds: 5 },
    });
    const stored = async () =>
      (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ?? 0;
    const counts: number[] = [];
    await killRepeatedly(env.configFile, async () => {
      counts.push(await stored());
    });
    assert.ok(counts[KILLS - 1] < READINGS, 'the kills all landed before the stream ended');
    assert.ok(counts[0] > 0 || counts[KILLS - 1] > 0, 'readings flowed between kills');

    const last = spawnAgent(env.configFile);
    await waitFor(async () => (await stored()) >= READINGS, 'all readings stored', 90_000);
    last.child.kill('SIGTERM');
    await last.exited;

    const rows = await hub.pool.query<{ id: string }>('select id from obs');
    assert.is(rows.rows.length, READINGS);
    const got = new Set(rows.rows.map((r) => r.id));
    assert.ok(
      ids.every((id) => got.has(id)),
      'every id of the stream is stored',
    );
    // Each line has its own device time; the id is the primary key and cannot repeat, but a
    // line stored twice under two ids would repeat its device time.
    const twice = await hub.pool.query<{ n: number }>(
      'select count(*)::int as n from (select device_time from obs group by device_time having count(*) > 1) d',
    );
    assert.is(twice.rows[0]?.n, 0, 'no line of the stream stored twice');
  } finally {
    env.cleanup();
  }
});

/** Kills and restarts the agent `KILLS` times, calling `afterDeath` while it is down. */
async function killRepeatedly(configFile: string, afterDeath: () => Promise<void>) {
  for (let i = 0; i < KILLS; i++) {
    const agent = spawnAgent(configFile);
    // One kill in four lands anywhere, start-up included; the others while streaming.
    if (i % 4 !== 0) {
      await waitFor(() => agent.lines.some((l) => l.includes('"agentStarted"')), 'agent start');
    }
    await new Promise((r) => setTimeout(r, Math.random() * (i % 4 === 0 ? 1500 : 700)));
    agent.child.kill('SIGKILL');
    await agent.exited;
    await afterDeath();
  }
}

// The agent gives each reading of a live device its id, and acknowledges the broker's message
// only once its reading is committed to the queue, on a session the broker keeps across the
// agent's deaths. So every reading the broker acknowledged to the device (QoS 1) must reach the
// hub exactly once: kept by the broker while the agent is down, sent again when the agent died
// before its PUBACK, and then recognised, not taken twice. Each reading carries its number
// (`n`, the value), so a replay under a new id shows.
test('kill -9 twenty times with a live QoS 1 device: every reading the broker acknowledged is stored once', async () => {
  await hub.pool.query('truncate obs, alarm');
  const env = await createAgentEnv(hub, {});
  const topic = `sd-test/${env.agentId}/gateway`;
  env.writeConfig({
    devices: [
      {
        id: 'gw-1',
        driver: 'mqtt-json',
        patient: 'p-1',
        mqtt: { url: DEVICE_BROKER, topic, mapping: [{ path: 'n', code: 'heart-rate' }] },
      },
    ],
    uplink: { ackTimeoutSeconds: 5, heartbeatSeconds: 1 },
  });
  const values = async () =>
    (await hub.pool.query<{ value: number }>('select value from obs')).rows.map((r) => r.value);
  const checkQueue = () => {
    if (existsSync(join(env.stateDir, STATE_FILES.queue))) {
      const queue = readQueueFile(env.stateDir);
      assert.is(queue.integrity, 'ok');
      queue.records.forEach((r) => assert.ok(r.items !== undefined, `record ${r.id} opens`));
    }
  };
  // The first life subscribes, so the broker keeps what the device sends from then on.
  const first = spawnAgent(env.configFile);
  await waitFor(
    () => readLocalStatus(env.stateDir)?.status.devices[0]?.state === 'connected',
    'device subscribed',
  );
  first.child.kill('SIGKILL');
  await first.exited;
  // 50 readings a second: Mosquitto keeps at most 1000 messages (max_queued_messages) for a
  // client that is away, and drops the rest after acknowledging them to the device.
  const device = await startCountingDevice({
    url: DEVICE_BROKER,
    topic,
    perTick: 1,
    tickMs: 20,
    qos: 1,
  });
  let last: AgentProcess | undefined;
  try {
    await killRepeatedly(env.configFile, async () => checkQueue());

    last = spawnAgent(env.configFile);
    const running = last;
    await waitFor(() => running.lines.some((l) => l.includes('"agentStarted"')), 'agent start');
    await waitFor(() => readLocalStatus(env.stateDir)?.status.readingsAccepted, 'live again');
    const emitted = await device.stop();
    const taken = new Set(device.acked);
    assert.ok(taken.size > 0, 'the broker acknowledged readings');
    await waitFor(
      async () => {
        const s = readLocalStatus(env.stateDir)?.status;
        const quiet = s?.queue.depth === 0 && s.queueDetail.pendingInMemory === 0;

        return quiet && (await values()).length >= taken.size;
      },
      'everything acknowledged delivered',
      90_000,
    );
    running.child.kill('SIGTERM');
    await running.exited;
    checkQueue();

    const got = await values();
    const distinct = new Set(got);
    assert.is(got.length, distinct.size, 'no reading stored twice');
    const lost = [...taken].filter((n) => !distinct.has(n));
    assert.equal(lost, [], 'every reading the broker acknowledged is stored');
    assert.ok(
      got.every((n) => Number.isInteger(n) && n >= 1 && n <= emitted),
      'every stored reading is one the device emitted',
    );
  } finally {
    last?.child.kill('SIGKILL');
    await device.stop();
    await forgetSession(mqttClientId(env.agentId, 'gw-1'));
    env.cleanup();
  }
});

/** Ends the agent's kept session on the shared broker [MQTT-3.1.2-6]. */
async function forgetSession(clientId: string) {
  const client = await connectAsync(DEVICE_BROKER, { clientId, clean: true, reconnectPeriod: 0 });
  await client.endAsync();
}

test.run();
