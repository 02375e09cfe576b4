import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  createAgentEnv,
  spawnAgent,
  waitFor,
  writeReadings,
} from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

// [issue 4: kill -9 at random moments during a 10,000-reading stream, twenty times]
const READINGS = 10_000;
const KILLS = 20;

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
    for (let i = 0; i < KILLS; i++) {
      const agent = spawnAgent(env.configFile);
      // One kill in four lands anywhere, start-up included; the others while streaming.
      if (i % 4 !== 0) {
        await waitFor(() => agent.lines.some((l) => l.includes('"agentStarted"')), 'agent start');
      }
      await new Promise((r) => setTimeout(r, Math.random() * (i % 4 === 0 ? 1500 : 700)));
      agent.child.kill('SIGKILL');
      await agent.exited;
      counts.push(await stored());
    }
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

test.run();
