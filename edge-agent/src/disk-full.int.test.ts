import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import Sqlite from 'better-sqlite3';
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
import { HubStandIn } from './test-support/hub-stand-in.js';

// NOTE: no loop or tmpfs mount is available to a test here, so a full disk is simulated with
// SQLite's `max_page_count` (the `queue.maxPages` option): past it SQLite fails the write with
// SQLITE_FULL, the same error it returns on ENOSPC, through the same code path.

let scratch: ScratchDatabase;
let hub: HubStandIn;

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_full');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

test('disk full: a clear error, no corrupted queue, and recovery when space returns', async () => {
  const env = await createAgentEnv(hub, {});
  const agent = { current: undefined as ReturnType<typeof spawnAgent> | undefined };
  try {
    await hub.stopBroker();
    const file = join(env.dir, 'readings.ndjson');
    const ids = writeReadings(file, 4000);
    env.writeConfig({
      devices: [
        {
          id: 'oxi-1',
          driver: 'ndjson-file',
          patient: 'p-1',
          file: { path: file, ratePerSecond: 4000 },
        },
      ],
      queue: { maxPages: 160 },
      uplink: { heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 500 } },
    });
    agent.current = spawnAgent(env.configFile);
    const a = agent.current;

    await waitFor(() => a.lines.some((l) => l.includes('"diskFull"')), 'disk-full error');
    const line = JSON.parse(a.lines.find((l) => l.includes('"diskFull"'))!) as {
      level: number;
      msg: string;
    };
    assert.is(line.level, 50);
    assert.match(line.msg, /disk full/);
    await waitFor(
      () => readLocalStatus(env.stateDir)?.status.problems.some((p) => p.code === 'DISK_FULL'),
      'status says so',
    );
    await waitFor(
      () => (readLocalStatus(env.stateDir)?.status.readingsAccepted ?? 0) === 4000,
      'all read, some held in memory',
    );
    const status = readLocalStatus(env.stateDir)!.status;
    assert.ok(status.queueDetail.pendingInMemory > 0, 'the overflow waits in memory');

    const db = new Sqlite(join(env.stateDir, STATE_FILES.queue), { readonly: true });
    assert.is(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();

    await hub.startBroker();
    await waitFor(
      async () =>
        (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ===
        4000,
      'every reading stored',
      90_000,
    );
    await waitFor(() => readLocalStatus(env.stateDir)?.status.problems.length === 0, 'recovered');
    const rows = await hub.pool.query<{ id: string }>('select id from obs');
    assert.equal(new Set(rows.rows.map((r) => r.id)), new Set(ids));
    assert.ok(a.lines.some((l) => l.includes('"problemCleared"') && l.includes('DISK_FULL')));
  } finally {
    agent.current?.child.kill('SIGKILL');
    await agent.current?.exited;
    env.cleanup();
  }
});

test.run();
