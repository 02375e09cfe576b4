import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { startSerialSimulator } from '@sparkden/device-drivers';
import { parseObservation, type Observation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createLogger } from './log.js';
import { loadQueueKey } from './queue/queue-key.js';
import { SealedQueue } from './queue/sealed-queue.js';
import { startAgent } from './start-agent.js';
import { loadCredentials, STATE_FILES } from './state-dir.js';
import { readLocalStatus } from './status.js';
import {
  createAgentEnv,
  spawnAgent,
  waitFor,
  writeReadings,
} from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

const BIN = fileURLToPath(new URL('../bin/sparkden-agent.js', import.meta.url));
const run = promisify(execFile);
const silent = createLogger({ level: 'silent' });

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

test('decode prints the observations of captured device bytes; bad hex exits 2', async () => {
  const { stdout } = await run(
    process.execPath,
    [BIN, 'decode', '--serial', 'contec-cms50d', '86 40 05 48 61', '--json'],
    { cwd: tmpdir() },
  );
  const bad = await run(process.execPath, [BIN, 'decode', '--gatt', '2a37', '00 48 zz']).catch(
    (e: { code: number; stderr: string }) => e,
  );

  const readings = stdout
    .trim()
    .split('\n')
    .map((l) => parseObservation(JSON.parse(l)));
  assert.equal(
    readings.map((r) => [r.code, r.loinc, r.patient]),
    [
      ['spo2', '2708-6', 'Patient/unbound'],
      ['heart-rate', '8867-4', 'Patient/unbound'],
    ],
  );
  assert.is((bad as { code: number }).code, 2);
  assert.is(
    (bad as { stderr: string }).stderr,
    'decode: MALFORMED at byte 2: "zz" is not a hex byte\n',
  );
});

/** A free loopback port (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  return port;
}

/** The observations an agent left in its queue, unsealed with its own at-rest key. */
function queuedObservations(stateDir: string): Observation[] {
  const { key, recordAgentId } = loadQueueKey(stateDir, loadCredentials(stateDir));
  const queue = new SealedQueue({
    path: join(stateDir, STATE_FILES.queue),
    agentId: recordAgentId,
    key,
    nextId: () => 0,
    maxBytes: 1 << 30,
    maxAgeMs: 1e12,
    overflow: 'drop-newest',
  });
  try {
    return queue.take('obs', 10_000).flatMap((r) => r.items as Observation[]);
  } finally {
    queue.close();
  }
}

test('HL7: readings go to the patient PID-3 names, are queued before AA; others get AE', async () => {
  const env = await createAgentEnv(hub, {});
  const [mapped, unmapped, noMap] = [await freePort(), await freePort(), await freePort()];
  const monitor = (id: string, port: number, extra: Record<string, unknown>) => ({
    id,
    driver: 'hl7-mllp',
    patient: 'p-fallback',
    mllp: { port },
    ...extra,
  });
  // Port 9 on loopback: nothing listens, so what the agent commits stays in its queue.
  env.writeConfig({
    hub: { mqttUrl: 'mqtt://127.0.0.1:9' },
    devices: [
      monitor('mon-mapped', mapped, { patients: { 'SIM-BED-4': 'Patient/bed-4' } }),
      monitor('mon-unmapped', unmapped, { patients: { 'SIM-BED-9': 'Patient/bed-9' } }),
      monitor('mon-no-map', noMap, {}),
    ],
  });
  const agent = await startAgent({
    configFile: env.configFile,
    logger: silent,
    watchConfig: false,
  });
  try {
    await waitFor(
      () => agent.status().devices.every((d) => d.state === 'connected'),
      'listeners up',
    );
    const sims = [mapped, unmapped, noMap].map((port) =>
      run(process.execPath, [
        BIN,
        'simulate',
        'hl7-monitor',
        '--to',
        `127.0.0.1:${port}`,
        '--count',
        '2',
        '--interval-ms',
        '20',
      ]),
    );
    const [ok, refused, noMapRefused] = (await Promise.all(sims)).map((r) => r.stdout);

    assert.equal(ok.trim().split('\n'), [
      'SIM000001 oru ACK AA (expected AA)',
      'SIM000002 oru ACK AA (expected AA)',
    ]);
    assert.match(refused, /^SIM000001 oru ACK AE \(expected AA\): PID-3 is not in the patient map/);
    assert.match(
      noMapRefused,
      /^SIM000001 oru ACK AE \(expected AA\): PID-3 given but this device has no patient map/,
    );
    // AA came after the commit: the queue holds them now, filed under the mapped patient only.
    const queued = queuedObservations(env.stateDir);
    assert.ok(queued.length >= 2 * 4, `${queued.length} queued`);
    assert.equal([...new Set(queued.map((o) => o.patient))], ['Patient/bed-4']);
    assert.equal([...new Set(queued.map((o) => o.device.id))], ['mon-mapped']);
  } finally {
    await agent.stop();
    env.cleanup();
  }
});

test('HL7: when the queue cannot take the readings, the monitor gets AE, not AA', async () => {
  const env = await createAgentEnv(hub, {});
  const port = await freePort();
  const file = join(env.dir, 'readings.ndjson');
  writeReadings(file, 3000);
  // A queue capped at a few pages fills up (SQLITE_FULL, as on a full disk): see disk-full.
  env.writeConfig({
    hub: { mqttUrl: 'mqtt://127.0.0.1:9' },
    queue: { maxPages: 40 },
    devices: [
      { id: 'filler', driver: 'ndjson-file', patient: 'p-1', file: { path: file } },
      {
        id: 'mon',
        driver: 'hl7-mllp',
        patient: 'p-fallback',
        mllp: { port },
        patients: { 'SIM-BED-4': 'Patient/bed-4' },
      },
    ],
  });
  const agent = await startAgent({
    configFile: env.configFile,
    logger: silent,
    watchConfig: false,
  });
  try {
    await waitFor(() => agent.status().problems.some((p) => p.code === 'DISK_FULL'), 'disk full');
    const { stdout } = await run(process.execPath, [
      BIN,
      'simulate',
      'hl7-monitor',
      '--to',
      `127.0.0.1:${port}`,
      '--count',
      '1',
    ]);

    assert.is(stdout, 'SIM000001 oru ACK AE (expected AA): readings not stored; send again\n');
    const queued = queuedObservations(env.stateDir);
    assert.ok(queued.length > 0, 'the filler did reach the queue');
    assert.not.ok(queued.some((o) => o.device.id === 'mon'));
  } finally {
    await agent.stop();
    env.cleanup();
  }
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
