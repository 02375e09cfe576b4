import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { STATE_FILES } from './state-dir.js';
import { readLocalStatus } from './status.js';
import {
  createAgentEnv,
  spawnAgent,
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
    assert.is(got.size, READINGS);
    assert.ok(
      ids.every((id) => got.has(id)),
      'every id of the stream is stored',
    );
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

// The agent gives each reading of a live device its id. A reading is taken once its record is
// committed to the queue: after each kill, what the queue file holds (or the hub already
// stored) was taken and must reach the hub exactly once. What the device emitted while the
// agent was down, or while a reading sat uncommitted in the dead agent's memory, was never
// taken. Each reading carries its number (`n`, the value), so a replay under a new id shows.
test('kill -9 twenty times with a live device and agent-assigned ids: every taken reading stored once', async () => {
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
  const device = await startCountingDevice({ url: DEVICE_BROKER, topic, perTick: 5, tickMs: 10 });
  const values = async () =>
    (await hub.pool.query<{ value: number }>('select value from obs')).rows.map((r) => r.value);
  const taken = new Set<number>();
  const noteTaken = async () => {
    if (existsSync(join(env.stateDir, STATE_FILES.queue))) {
      const queue = readQueueFile(env.stateDir);
      assert.is(queue.integrity, 'ok');
      for (const record of queue.records) {
        assert.ok(record.items !== undefined, `record ${record.id} opens`);
        record.items.forEach((item) => taken.add(item.value!));
      }
    }
    (await values()).forEach((v) => taken.add(v));
  };
  try {
    await killRepeatedly(env.configFile, noteTaken);
    assert.ok(taken.size > 0, 'readings were taken between the kills');

    const last = spawnAgent(env.configFile);
    await waitFor(() => last.lines.some((l) => l.includes('"agentStarted"')), 'agent start');
    await waitFor(() => readLocalStatus(env.stateDir)?.status.readingsAccepted, 'live again');
    const emitted = await device.stop();
    await waitFor(async () => {
      const s = readLocalStatus(env.stateDir)?.status;
      const quiet = s?.queue.depth === 0 && s.queueDetail.pendingInMemory === 0;

      return quiet && (await values()).length >= taken.size;
    }, 'everything taken delivered');
    last.child.kill('SIGTERM');
    await last.exited;
    await noteTaken();

    const got = await values();
    const distinct = new Set(got);
    assert.is(got.length, distinct.size, 'no reading stored twice');
    const lost = [...taken].filter((n) => !distinct.has(n));
    assert.equal(lost, [], 'every reading the agent took is stored');
    assert.ok(
      got.every((n) => Number.isInteger(n) && n >= 1 && n <= emitted),
      'every stored reading is one the device emitted',
    );
    assert.ok(got.length < emitted, 'readings emitted while the agent was down were never read');
  } finally {
    await device.stop();
    env.cleanup();
  }
});

test.run();
