/**
 * `kill -9` of the edge agent against the real hub, with real processes only: the product hub
 * (`sparkden start`) as a child process on a scratch PostgreSQL database, and a
 * `sparkden-agent run` process enrolled through the hub's enrollment endpoint with a one-time
 * token. A device (a memory file of JSON lines the agent follows) produces exactly 10,000
 * readings while the agent is SIGKILLed twenty times at random moments: during start-up, just
 * after it sent a batch (before the hub's ack), just after an ack, and anywhere while
 * streaming. At the end `vitals.observation` holds each of the 10,000 readings exactly once,
 * judged by device and device time (the agent names readings itself, so a reading read twice
 * would be a second row under a new id), and the agent's queue is empty: every batch acked.
 */
import { createScratchDatabase, issueToken, openDatabase, type Database } from '@sparkden/alerting';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import {
  agentStatus,
  enrollAgentProcess,
  spawnAgentProcess,
  withAgentOutput,
  type AgentProcess,
} from '../testing/agent-process.js';
import { freePort, startHubProcess, waitUntil, type HubProcess } from '../testing/hub-process.js';
import { NdjsonDevice } from '../testing/ndjson-device.js';

// [issue 4: kill -9 at random moments during a 10,000-reading stream, twenty times]
const READINGS = 10_000;
const KILLS = 20;
const DEVICE_ID = 'oxi-kill-1';
const PATIENT = 'patient-kill-9c1e';
/** The device writes this many readings every 50 ms (1,000 a second). */
const PER_TICK = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomMs = (max: number) => Math.floor(Math.random() * max);

/** Where in an agent's life kill `i` lands. */
async function killMoment(i: number, agent: AgentProcess): Promise<string> {
  const started = () => agent.logged('agentStarted');
  // An event of this life that may not come (nothing left to send): then kill anyway.
  const soon = (event: string) =>
    waitUntil(event, () => agent.logged(event), 30_000, 5).catch(() => false);
  switch (i % 4) {
    case 0:
      await sleep(randomMs(1500));

      return 'anywhere, start-up included';
    case 1:
      await waitUntil('agent start', started, 60_000, 10);
      await soon('batchSent');
      await sleep(randomMs(30));

      return 'a batch in flight';
    case 2:
      await waitUntil('agent start', started, 60_000, 10);
      await soon('batchAcked');
      await sleep(randomMs(30));

      return 'just after an ack';
    default:
      await waitUntil('agent start', started, 60_000, 10);
      await sleep(randomMs(1000));

      return 'while streaming';
  }
}

test('kill -9 of the agent twenty times in a 10,000-reading stream: each stored exactly once', async () => {
  const scratch = await createScratchDatabase('sd_agent_kill9');
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-kill9-'));
  const hubOptions = {
    databaseUrl: scratch.url,
    dataDir: join(dir, 'hub'),
    httpPort: await freePort(),
    mqttPort: await freePort(),
  };
  let hub: HubProcess | undefined;
  let db: Database | undefined;
  let agent: AgentProcess | undefined;
  let pump: NodeJS.Timeout | undefined;
  try {
    hub = await startHubProcess(hubOptions);
    db = await openDatabase({ url: scratch.url });
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { token } = await issueToken(db, { createdBy: 'kill-nine-test', expiresAt });
    const stateDir = join(dir, 'agent');
    const agentId = await enrollAgentProcess(hub.url, token, stateDir);

    const memory = join(dir, 'oximeter-memory.ndjson');
    const device = new NdjsonDevice({
      path: memory,
      startMs: Date.now() - (READINGS + 60) * 1000,
      stepMs: 1000,
      value: (n) => 94 + (n % 6),
    });
    const configFile = join(dir, 'agent.yaml');
    const file = { path: memory, ratePerSecond: 2000, follow: true };
    const config = {
      stateDir,
      // Debug, for the batchSent and batchAcked lines the kills aim at.
      logLevel: 'debug',
      devices: [{ id: DEVICE_ID, driver: 'ndjson-file', patient: PATIENT, file }],
      uplink: { ackTimeoutSeconds: 5, heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } },
    };
    writeFileSync(configFile, stringify(config));

    // The device never writes the last share of the stream before the last kill, so every
    // kill lands while readings are still coming.
    let kills = 0;
    const quota = () =>
      kills >= KILLS ? READINGS : Math.floor((READINGS * (kills + 1)) / (KILLS + 1));
    pump = setInterval(() => device.produce(Math.min(PER_TICK, quota() - device.produced)), 50);

    const logs: string[] = [];
    const moments: string[] = [];
    for (; kills < KILLS;) {
      agent = spawnAgentProcess(configFile);
      moments.push(await killMoment(kills, agent));
      agent.child.kill('SIGKILL');
      assert.is(await agent.exited, 'SIGKILL', `kill ${kills + 1} found the agent alive`);
      logs.push(...agent.lines);
      kills += 1;
    }

    agent = spawnAgentProcess(configFile);
    const stored = async () => {
      const { rows } = await db!.query<{ n: number }>(
        `select count(distinct device_time)::int as n from vitals.observation
         where agent_id = $1 and device_id = $2`,
        [agentId, DEVICE_ID],
      );

      return rows[0]?.n ?? 0;
    };
    // On a timeout the assertions below still run, to name what is missing.
    const all = () => waitUntil('all stored', async () => (await stored()) === READINGS, 150_000);
    const drained = await all()
      .then(() =>
        waitUntil('the agent queue drained', async () => {
          const s = await agentStatus(stateDir);

          return s.queue?.depth === 0 && s.queueDetail?.pendingInMemory === 0;
        }),
      )
      .catch(() => false);
    agent.child.kill('SIGTERM');
    await agent.exited;
    logs.push(...agent.lines);

    const { rows } = await db.query<{ at: string; value: number; n: number }>(
      `select (extract(epoch from device_time) * 1000)::bigint::text as at, value,
              count(*)::int as n
       from vitals.observation where agent_id = $1 and device_id = $2
       group by device_time, value`,
      [agentId, DEVICE_ID],
    );
    const total = await db.query<{ n: number; patients: string[] }>(
      `select count(*)::int as n, array_agg(distinct patient) as patients
       from vitals.observation where agent_id = $1`,
      [agentId],
    );
    const byTime = new Map(rows.map((r) => [Number(r.at), r]));
    const missing: number[] = [];
    const wrong: number[] = [];
    for (let n = 0; n < READINGS; n++) {
      const row = byTime.get(device.timeOf(n));
      if (row === undefined) {
        missing.push(n);
      } else if (row.value !== device.valueOf(n)) {
        wrong.push(n);
      }
    }

    assert.is(device.produced, READINGS);
    const kills9 = `kills: ${moments.join('; ')}`;
    assert.equal(missing, [], `readings the device produced and the hub never stored (${kills9})`);
    assert.equal(wrong, [], 'readings stored with another value');
    assert.equal(
      rows.filter((r) => r.n > 1).map((r) => r.at),
      [],
      `readings stored more than once (${kills9})`,
    );
    assert.is(rows.length, READINGS, 'rows that are no reading of the device');
    assert.is(total.rows[0]?.n, READINGS);
    assert.ok(drained, 'the agent queue drained: the hub acked every batch');
    assert.equal(total.rows[0]?.patients, [PATIENT]);
    // [STYLE: no PHI in logs] neither the patient nor a value in any line of any life.
    assert.ok(logs.length > 0);
    assert.ok(logs.every((l) => !l.includes(PATIENT) && !l.includes('"value"')));
  } catch (error) {
    throw withAgentOutput(error, agent);
  } finally {
    clearInterval(pump);
    agent?.child.kill('SIGKILL');
    await agent?.exited;
    await hub?.kill();
    await db?.close();
    await scratch.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
