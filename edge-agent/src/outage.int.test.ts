/**
 * Hub and database outages for a real `sparkden-agent` process, against the hub stand-in
 * (`test-support/hub-stand-in.ts`), a test-only broker and ingest inside this test process
 * with its own `obs` and `alarm` tables; not the product hub's ingest, ack path or
 * `vitals.observation`. "Hub stopped" is the stand-in closing its broker in this process
 * (`stopBroker()`); "database stopped" is the stand-in's scratch database refusing
 * connections (`allow_connections false`). The same faults with the real hub as a process,
 * SIGKILLed, and a PostgreSQL server really stopped, are
 * `gateway/src/hub/agent-outage.int.test.ts`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { readLocalStatus } from './status.js';
import {
  createAgentEnv,
  spawnAgent,
  waitFor,
  writeReadings,
  type AgentEnv,
  type AgentProcess,
} from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';
import { streamReadings } from './test-support/reading-stream.js';

let scratch: ScratchDatabase;
let hub: HubStandIn;
let webhook: Server;
const webhookAlarms: Record<string, unknown>[] = [];
let env: AgentEnv | undefined;
let agent: AgentProcess | undefined;

const PATIENT = 'patient-7f3a';

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_outage');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      webhookAlarms.push(JSON.parse(body) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
});

test.after.each(async () => {
  await hub.setDatabaseUp(true);
  agent?.child.kill('SIGKILL');
  await agent?.exited;
  agent = undefined;
  env?.cleanup();
  env = undefined;
});

test.after(async () => {
  await hub.close();
  await new Promise((resolve) => webhook.close(resolve));
  await scratch.drop();
});

const stored = async (table = 'obs') =>
  (await hub.pool.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0]?.n ?? 0;

async function startStreamingAgent() {
  await hub.pool.query('truncate obs, alarm');
  env = await createAgentEnv(hub, {});
  const file = join(env.dir, 'stream.ndjson');
  const ids = writeReadings(file, 1000);
  const port = (webhook.address() as AddressInfo).port;
  env.writeConfig({
    devices: [
      {
        id: 'oxi-1',
        driver: 'ndjson-file',
        patient: PATIENT,
        file: { path: file, ratePerSecond: 5000, follow: true },
      },
    ],
    alarms: [{ name: 'SPO2_LOW', code: 'spo2', below: 88 }],
    localAlarm: { webhook: `http://127.0.0.1:${port}/alarm` },
    uplink: { ackTimeoutSeconds: 2, heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } },
  });
  agent = spawnAgent(env.configFile);
  await waitFor(async () => (await stored()) === 1000, 'first 1000 rows');

  return { file, ids, env };
}

// [issue 4: the hub or its database stopped for minutes during the stream]
const OUTAGE_MS = Number(process.env.SD_OUTAGE_SECONDS ?? 120) * 1000;
// 40 readings a second throughout the outage; every 400th breaches the SpO2 rule and the next
// reading re-arms it, so each breach is one alarm.
const breachEvery400 = (n: number) => (n % 400 === 399 ? 80 : 97);

function streamDuringOutage(file: string) {
  return streamReadings({
    file,
    durationMs: OUTAGE_MS,
    perTick: 20,
    tickMs: 500,
    value: breachEvery400,
  });
}

const accepted = (env: AgentEnv) => readLocalStatus(env.stateDir)?.status.readingsAccepted ?? 0;

/** Alarms arrived before the first reading stored after `since` (the end of the outage). */
async function assertAlarmsFirst(since: number, alarmCount: number) {
  const alarms = await hub.pool.query<{ arrival: number; reason: string }>(
    'select arrival, reason from alarm',
  );
  const firstObs = await hub.pool.query<{ n: number | null }>(
    'select min(arrival)::int as n from obs where arrival > $1',
    [since],
  );
  assert.is(alarms.rows.length, alarmCount);
  const first = firstObs.rows[0]?.n ?? 0;
  assert.ok(first > since, 'readings were backfilled after the outage');
  assert.ok(
    alarms.rows.every((a) => a.arrival > since && a.arrival < first),
    'alarms arrive before the backlog',
  );

  return alarms.rows;
}

/** Every id written is stored, and no row beyond them (each reading exactly once). */
async function assertExactlyOnce(ids: string[]) {
  const rows = await hub.pool.query<{ id: string }>('select id from obs');
  assert.is(rows.rows.length, ids.length);
  assert.equal(new Set(rows.rows.map((r) => r.id)), new Set(ids));
}

test('hub stopped for minutes during the stream: local alarms, then full backfill with alarms first', async () => {
  const { file, ids, env } = await startStreamingAgent();
  webhookAlarms.length = 0;

  await hub.stopBroker();
  await waitFor(
    () => readLocalStatus(env.stateDir)?.status.link === 'offline',
    'agent sees the hub gone',
  );
  const stream = await streamDuringOutage(file);
  ids.push(...stream.ids);
  const breaches = stream.values.filter((v) => v < 88).length;
  assert.ok(breaches > 0, 'the outage is long enough for a breach');
  await waitFor(() => webhookAlarms.length === breaches, 'one local alarm per breach');
  await waitFor(() => accepted(env) === ids.length, 'every reading taken');
  await waitFor(
    () => (readLocalStatus(env.stateDir)?.status.queue.depth ?? 0) >= stream.ids.length + breaches,
    'everything queued',
  );
  assert.is(await stored(), 1000, 'nothing reached the hub during the outage');

  const before = hub.arrivals;
  await hub.startBroker();
  await waitFor(
    async () => (await stored()) === ids.length && (await stored('alarm')) === breaches,
    'full backfill',
    180_000,
  );

  const alarms = await assertAlarmsFirst(before, breaches);
  assert.ok(alarms.every((a) => a.reason.endsWith(';raised-locally')));
  await assertExactlyOnce(ids);
  await waitFor(() => readLocalStatus(env.stateDir)?.status.queue.depth === 0, 'queue drained');

  const errors = agent!.lines.filter((l) => l.includes('"localAlarmRaised"'));
  assert.is(errors.length, breaches);
  assert.ok(
    errors.every((l) => (JSON.parse(l) as { level: number }).level === 50),
    'logged at error level',
  );
  // [STYLE: no PHI in logs] neither the patient nor a value appears in any log line.
  assert.ok(agent!.lines.every((l) => !l.includes(PATIENT) && !l.includes('"value"')));
});

test('database stopped for minutes during the stream: nothing acked, then full backfill with alarms first', async () => {
  const { file, ids, env } = await startStreamingAgent();

  await hub.setDatabaseUp(false);
  const stream = await streamDuringOutage(file);
  ids.push(...stream.ids);
  const breaches = stream.values.filter((v) => v < 88).length;
  assert.ok(breaches > 0, 'the outage is long enough for a breach');
  await waitFor(() => accepted(env) === ids.length, 'every reading taken');
  assert.ok(
    agent!.lines.some((l) => l.includes('"ackTimeout"')),
    'batches went unacked',
  );

  const before = hub.arrivals;
  await hub.setDatabaseUp(true);
  await waitFor(
    async () => (await stored()) === ids.length && (await stored('alarm')) === breaches,
    'full backfill',
    180_000,
  );

  await assertAlarmsFirst(before, breaches);
  await assertExactlyOnce(ids);
});

test.run();
