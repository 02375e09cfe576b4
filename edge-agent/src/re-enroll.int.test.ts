import { statSync } from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { enrollAgent } from './enroll/enroll.js';
import { createLogger } from './log.js';
import { startAgent, type AgentHandle } from './start-agent.js';
import { STATE_FILES } from './state-dir.js';
import { createAgentEnv, waitFor, writeReadings } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

// Against the stand-in hub (aedes and PostgreSQL): the queue has its own at-rest key, so a
// backlog queued before a re-enrollment (a new agent id, a new sealing key) still drains.

let scratch: ScratchDatabase;
let hub: HubStandIn;
const silent = createLogger({ level: 'silent' });

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_reenroll');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

test('enroll, queue readings offline, re-enroll: the backlog still drains', async () => {
  await hub.pool.query('truncate obs, alarm');
  const env = await createAgentEnv(hub, {});
  let agent: AgentHandle | undefined;
  try {
    const file = join(env.dir, 'readings.ndjson');
    const ids = writeReadings(file, 300);
    const device = { id: 'oxi-1', driver: 'ndjson-file', patient: 'p-1', file: { path: file } };
    // Port 9 (discard) on loopback: nothing answers, so everything stays queued.
    env.writeConfig({ devices: [device], hub: { mqttUrl: 'mqtt://127.0.0.1:9' } });
    agent = await startAgent({ configFile: env.configFile, logger: silent });
    await waitFor(() => agent?.status().queue.depth === ids.length, 'readings queued offline');
    await agent.stop();
    agent = undefined;

    const again = await enrollAgent({
      hub: hub.httpUrl,
      token: hub.issueToken(),
      stateDir: env.stateDir,
    });
    assert.is.not(again.agentId, env.agentId, 're-enrolled under a new agent id');
    env.writeConfig({ devices: [device] });
    agent = await startAgent({ configFile: env.configFile, logger: silent });
    await waitFor(() => agent?.status().queue.depth === 0, 'backlog drained');

    const stored = await hub.pool.query<{ id: string }>('select id from obs');
    assert.equal(new Set(stored.rows.map((r) => r.id)), new Set(ids));
    assert.equal(agent.status().queueDetail.quarantined, 0);
    const mode = statSync(join(env.stateDir, STATE_FILES.queueKey)).mode & 0o777;
    assert.is(mode, 0o600);
  } finally {
    await agent?.stop();
    env.cleanup();
  }
});

test.run();
