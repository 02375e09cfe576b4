import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { startSerialSimulator } from '@sparkden/device-drivers';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { readLocalStatus } from './status.js';
import { createAgentEnv, spawnAgent, waitFor } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

const BIN = fileURLToPath(new URL('../bin/sparkden-agent.js', import.meta.url));
const run = promisify(execFile);

let scratch: ScratchDatabase;
let hub: HubStandIn;

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_cli');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

test('run refuses an invalid config with exit 78, naming the line and field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-cli-'));
  try {
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'stateDir: /tmp/x\nqueue:\n  maxBytes: -5\n');
    const result = await run(process.execPath, [BIN, 'run', '--config', file]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    assert.is((result as { code: number }).code, 78);
    assert.match((result as { stderr: string }).stderr, /agent\.yaml:3:13 queue\.maxBytes: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decode prints the readings of captured device bytes', async () => {
  const { stdout } = await run(
    process.execPath,
    [BIN, 'decode', '--driver', 'contec-cms50d', '--hex', '86 40 05 48 61'],
    { cwd: tmpdir() },
  );
  const readings = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { code: string });
  assert.equal(
    readings.map((r) => r.code),
    ['spo2', 'heart-rate'],
  );
});

test('a serial oximeter added on SIGHUP streams to the hub without a restart', async () => {
  const env = await createAgentEnv(hub, { uplink: { heartbeatSeconds: 1 } });
  const sim = await startSerialSimulator({ driver: 'contec-cms50d', scenario: 'normal' });
  const agent = spawnAgent(env.configFile);
  try {
    await waitFor(() => readLocalStatus(env.stateDir)?.status.link === 'online', 'agent online');
    const pid = readLocalStatus(env.stateDir)!.status.pid;
    env.writeConfig({
      uplink: { heartbeatSeconds: 1 },
      devices: [
        {
          id: 'oxi-serial',
          driver: 'contec-cms50d',
          patient: 'p-1',
          path: sim.path,
          minIntervalMs: 200,
        },
      ],
    });
    agent.child.kill('SIGHUP');

    await waitFor(
      async () =>
        ((
          await hub.pool.query<{ n: number }>(
            "select count(*)::int as n from obs where agent_id = $1 and code = 'spo2'",
            [env.agentId],
          )
        ).rows[0]?.n ?? 0) >= 3,
      'oximeter rows',
    );
    const status = readLocalStatus(env.stateDir)!;
    assert.is(status.status.pid, pid, 'same process');
    assert.ok(agent.lines.some((l) => l.includes('"configApplied"')));
    // The status file is rewritten on the agent's own beat: wait for it to catch up.
    const shown = await waitFor(async () => {
      const out = await run(process.execPath, [BIN, 'status', '--config', env.configFile]);

      return /oxi-serial\s+contec-cms50d\s+connected/.test(out.stdout) ? out : undefined;
    }, 'status shows the oximeter connected');
    assert.match(shown.stdout, /oxi-serial\s+contec-cms50d\s+connected/);
  } finally {
    agent.child.kill('SIGKILL');
    await agent.exited;
    await sim.stop();
    env.cleanup();
  }
});

test.run();
