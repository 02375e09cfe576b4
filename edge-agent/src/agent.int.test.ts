import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { v7 as uuidv7 } from 'uuid';

import { startAgent, type AgentHandle } from './start-agent.js';
import { createLogger } from './log.js';
import {
  createAgentEnv,
  waitFor,
  writeReadings,
  type AgentEnv,
} from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

let scratch: ScratchDatabase;
let hub: HubStandIn;
let env: AgentEnv;
let agent: AgentHandle | undefined;
const silent = createLogger({ level: 'silent' });

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after.each(async () => {
  await agent?.stop();
  agent = undefined;
  env?.cleanup();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

async function count(table: string): Promise<number> {
  const r = await hub.pool.query<{ n: number }>(`select count(*)::int as n from ${table}`);

  return r.rows[0]?.n ?? 0;
}

test('readings from a device reach the hub once, the queue empties and status says online', async () => {
  await hub.pool.query('truncate obs, alarm');
  env = await createAgentEnv(hub, {});
  const file = join(env.dir, 'readings.ndjson');
  const ids = writeReadings(file, 500);
  env.writeConfig({
    devices: [
      {
        id: 'oxi-1',
        driver: 'ndjson-file',
        patient: 'p-1',
        file: { path: file, ratePerSecond: 5000 },
      },
    ],
  });
  agent = await startAgent({ configFile: env.configFile, logger: silent });

  await waitFor(async () => (await count('obs')) === ids.length, 'all rows');
  await waitFor(() => agent?.status().queue.depth === 0, 'empty queue');
  const status = agent.status();
  assert.is(status.state, 'online');
  assert.is(status.readingsAccepted, 500);
  assert.equal(
    status.devices.map((d) => d.id),
    ['oxi-1'],
  );
  const stored = await hub.pool.query<{ id: string }>('select id from obs');
  assert.equal(new Set(stored.rows.map((r) => r.id)), new Set(ids));
});

test('a hub-pushed config is applied and acknowledged in the status', async () => {
  env = await createAgentEnv(hub, {});
  agent = await startAgent({ configFile: env.configFile, logger: silent });
  await waitFor(() => agent?.status().link === 'online', 'link up');

  hub.pushConfig(env.agentId, 7, { alarms: [{ name: 'SPO2_LOW', code: 'spo2', below: 90 }] });
  await waitFor(() => agent?.status().configVersion === 7, 'config version 7');
  await waitFor(
    () => hub.statuses.some((s) => s.agentId === env.agentId && s.body.configVersion === 7),
    'status with version 7 at the hub',
  );

  hub.pushConfig(env.agentId, 8, { alarms: [{ name: 'bad name', code: 'spo2' }] });
  await waitFor(
    () => agent?.status().problems.some((p) => p.code === 'CONFIG_REJECTED'),
    'rejection',
  );
  assert.is(agent.status().configVersion, 7);
});

test('an urgent reading raises a local alarm that reaches the hub before the readings', async () => {
  await hub.pool.query('truncate obs, alarm');
  env = await createAgentEnv(hub, {});
  const file = join(env.dir, 'readings.ndjson');
  writeReadings(file, 50, (i) => (i === 25 ? 80 : 97));
  env.writeConfig({
    devices: [
      {
        id: 'oxi-1',
        driver: 'ndjson-file',
        patient: 'p-1',
        file: { path: file, ratePerSecond: 5000 },
      },
    ],
    alarms: [{ name: 'SPO2_LOW', code: 'spo2', below: 88 }],
  });
  agent = await startAgent({ configFile: env.configFile, logger: silent });

  await waitFor(
    async () => (await count('obs')) === 50 && (await count('alarm')) === 1,
    'rows and alarm',
  );
  const alarm = await hub.pool.query<{
    code: string;
    reason: string;
    arrival: number;
    obs_arrival: number;
  }>(
    'select a.code, a.reason, a.arrival, o.arrival as obs_arrival from alarm a join obs o on o.id = a.observation_id',
  );
  assert.is(alarm.rows[0]?.code, 'SPO2_LOW');
  assert.ok(alarm.rows[0]?.reason.startsWith('below-threshold'));
  // [DESIGN: up/alarm before any queued batch] the urgent reading's batch follows its alarm.
  assert.ok(alarm.rows[0].arrival < alarm.rows[0].obs_arrival);
});

test('stored records keep their times; only live readings measure the device clock', async () => {
  await hub.pool.query('truncate obs, alarm');
  env = await createAgentEnv(hub, {});
  const file = join(env.dir, 'meter.ndjson');
  // A meter whose clock is 90 s slow replays three stored records, sends three live
  // readings, then two more stored ones.
  const slow = 90_000;
  const now = Date.now();
  const line = (minutesAgo: number, origin?: 'live') => ({
    id: uuidv7(),
    code: 'glucose',
    value: 110,
    deviceTime: new Date(now - minutesAgo * 60_000 - slow).toISOString(),
    ...(origin === undefined ? {} : { origin }),
  });
  const early = [line(180), line(120), line(90)];
  const live = [line(0, 'live'), line(0, 'live'), line(0, 'live')];
  const late = [line(60), line(30)];
  const all = [...early, ...live, ...late];
  writeFileSync(file, `${all.map((l) => JSON.stringify(l)).join('\n')}\n`);
  env.writeConfig({
    devices: [{ id: 'gluco-1', driver: 'ndjson-file', patient: 'p-1', file: { path: file } }],
  });
  agent = await startAgent({ configFile: env.configFile, logger: silent });

  await waitFor(async () => (await count('obs')) === all.length, 'all rows');
  const rows = await hub.pool.query<{ id: string; eff: Date; dev: Date; quality: string }>(
    'select id, effective_at as eff, device_time as dev, quality from obs',
  );
  const byId = new Map(rows.rows.map((r) => [r.id, r]));
  const shift = (l: { id: string }) => {
    const row = byId.get(l.id);

    return { moved: row!.eff.getTime() - row!.dev.getTime(), flags: row!.quality.split(',') };
  };
  for (const l of early) {
    assert.equal(shift(l), { moved: 0, flags: [''] }, 'before any live reading: kept as stored');
  }
  const offset = agent.status().skew.devices['gluco-1'] ?? 0;
  assert.ok(offset >= slow && offset < slow + 60_000, `measured offset ${offset} ms`);
  for (const l of [...live, ...late]) {
    const { moved, flags } = shift(l);
    assert.ok(Math.abs(moved - offset) < 1000, `moved by the clock offset, not its age (${moved})`);
    assert.ok(flags.includes('skew-corrected'));
  }
  const lastStored = byId.get(late[1].id)!.eff.getTime();
  assert.ok(now - lastStored > 29 * 60_000, 'a stored record is still half an hour old');
});

test.run();
