import {
  existsSync,
  openSync,
  readdirSync,
  statSync,
  truncateSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import Sqlite from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createLogger } from './log.js';
import { startAgent, type AgentHandle } from './start-agent.js';
import { STATE_FILES } from './state-dir.js';
import {
  createAgentEnv,
  waitFor,
  writeReadings,
  type AgentEnv,
} from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

let scratch: ScratchDatabase;
let hub: HubStandIn;
let env: AgentEnv | undefined;
let agent: AgentHandle | undefined;
const silent = createLogger({ level: 'silent' });

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_queue');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after.each(async () => {
  await agent?.stop();
  agent = undefined;
  env?.cleanup();
  env = undefined;
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

const stored = async () =>
  (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ?? 0;

/** Queues 300 readings with no hub in reach, then stops the agent: the file holds them. */
async function fillQueueOffline() {
  await hub.pool.query('truncate obs, alarm');
  env = await createAgentEnv(hub, {});
  const file = join(env.dir, 'readings.ndjson');
  const ids = writeReadings(file, 300);
  const device = {
    id: 'oxi-1',
    driver: 'ndjson-file',
    patient: 'p-1',
    file: { path: file, ratePerSecond: 10_000 },
  };
  // Port 9 on loopback: nothing listens, so every reading stays queued.
  env.writeConfig({ devices: [device], hub: { mqttUrl: 'mqtt://127.0.0.1:9' } });
  agent = await startAgent({ configFile: env.configFile, logger: silent });
  await waitFor(() => agent?.status().queue.depth === 300, 'queued');
  await agent.stop();
  agent = undefined;
  env.writeConfig({ devices: [device] });

  return { ids, queueFile: join(env.stateDir, STATE_FILES.queue), env };
}

test('a truncated queue file is detected, quarantined and reported; the agent keeps running', async () => {
  const { ids, queueFile, env } = await fillQueueOffline();
  truncateSync(queueFile, Math.floor(statSync(queueFile).size / 2));

  agent = await startAgent({ configFile: env.configFile, logger: silent });
  const problem = agent.status().problems.find((p) => p.code === 'QUEUE_QUARANTINED');
  assert.ok(problem, 'reported in the status');
  await waitFor(() => agent?.status().state === 'degraded', 'degraded once online');
  const quarantined = readdirSync(join(env.stateDir, 'quarantine'));
  assert.ok(
    quarantined.some((f) => f.startsWith('queue.db.')),
    'file moved to quarantine/',
  );
  // The file driver's cursor went with the file, so it replays; the hub drops duplicates.
  await waitFor(
    async () => (await stored()) === ids.length,
    'readings stored after the quarantine',
  );
});

test('garbage written over queue pages is detected and the agent carries on', async () => {
  const { queueFile, env } = await fillQueueOffline();
  const size = statSync(queueFile).size;
  const fd = openSync(queueFile, 'r+');
  // Keep the 100-byte SQLite header; overwrite the pages behind it.
  writeSync(fd, Buffer.alloc(Math.floor(size / 2), 0xa5), 0, Math.floor(size / 2), 4096);
  closeSync(fd);

  agent = await startAgent({ configFile: env.configFile, logger: silent });
  await waitFor(
    () =>
      agent
        ?.status()
        .problems.some((p) => p.code === 'QUEUE_QUARANTINED' || p.code === 'RECORD_QUARANTINED'),
    'corruption reported',
  );
  await waitFor(async () => (await stored()) === 300, 'readings flow again');
  assert.ok(existsSync(join(env.stateDir, 'quarantine')));
});

test('a record whose sealed bytes were altered is set aside alone; the others are sent', async () => {
  const { queueFile, env } = await fillQueueOffline();
  const db = new Sqlite(queueFile);
  const rows = db.prepare('select id, count, frame from record order by id').all() as {
    id: number;
    count: number;
    frame: Buffer;
  }[];
  const victim = rows[0];
  victim.frame[victim.frame.length - 5] ^= 0x01;
  db.prepare('update record set frame = ? where id = ?').run(victim.frame, victim.id);
  db.close();

  agent = await startAgent({ configFile: env.configFile, logger: silent });
  await waitFor(
    () => agent?.status().problems.some((p) => p.code === 'RECORD_QUARANTINED'),
    'record quarantined',
  );
  await waitFor(() => agent?.status().queue.depth === 0, 'the rest sent');
  assert.is(await stored(), 300 - victim.count);
  assert.is(agent.status().queueDetail.quarantined, 1);
});

test.run();
