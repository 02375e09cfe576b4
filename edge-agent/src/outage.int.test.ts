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

test('hub stopped during the stream: local alarms raised, then full backfill with alarms first', async () => {
  const { file, ids, env } = await startStreamingAgent();
  webhookAlarms.length = 0;

  await hub.stopBroker();
  await waitFor(
    () => readLocalStatus(env.stateDir)?.status.link === 'offline',
    'agent sees the hub gone',
  );
  // Every 400th reading is urgent: a breach, then a normal value re-arms the rule.
  ids.push(...writeReadings(file, 2000, (i) => (i % 400 === 399 ? 80 : 97), true));
  await waitFor(() => webhookAlarms.length === 5, 'five local alarms at the webhook');
  await waitFor(() => {
    const status = readLocalStatus(env.stateDir)?.status;

    return status !== undefined && status.readingsAccepted === 3000 && status.queue.depth >= 2005;
  }, 'everything queued');
  assert.is(await stored(), 1000);

  const before = hub.arrivals;
  await hub.startBroker();
  await waitFor(
    async () => (await stored()) === 3000 && (await stored('alarm')) === 5,
    'full backfill',
  );

  const alarms = await hub.pool.query<{ arrival: number; reason: string }>(
    'select arrival, reason from alarm',
  );
  const firstObs = await hub.pool.query<{ n: number }>(
    'select min(arrival)::int as n from obs where arrival > $1',
    [before],
  );
  assert.ok(
    alarms.rows.every((a) => a.arrival < firstObs.rows[0].n),
    'alarms arrive before the backlog',
  );
  assert.ok(alarms.rows.every((a) => a.reason.endsWith(';raised-locally')));
  const rows = await hub.pool.query<{ id: string }>('select id from obs');
  assert.equal(new Set(rows.rows.map((r) => r.id)), new Set(ids));
  await waitFor(() => readLocalStatus(env.stateDir)?.status.queue.depth === 0, 'queue drained');

  const errors = agent!.lines.filter((l) => l.includes('"localAlarmRaised"'));
  assert.is(errors.length, 5);
  assert.ok(
    errors.every((l) => (JSON.parse(l) as { level: number }).level === 50),
    'logged at error level',
  );
  // [STYLE: no PHI in logs] neither the patient nor a value appears in any log line.
  assert.ok(agent!.lines.every((l) => !l.includes(PATIENT) && !l.includes('"value"')));
});

test('database stopped during the stream: nothing acked meanwhile, full backfill after', async () => {
  const { file, ids } = await startStreamingAgent();

  await hub.setDatabaseUp(false);
  ids.push(...writeReadings(file, 2000, () => 96, true));
  await waitFor(() => agent!.lines.some((l) => l.includes('"ackTimeout"')), 'unacked batches');
  await new Promise((r) => setTimeout(r, 1500));
  await hub.setDatabaseUp(true);

  await waitFor(async () => (await stored()) === 3000, 'full backfill', 90_000);
  const rows = await hub.pool.query<{ id: string }>('select id from obs');
  assert.equal(new Set(rows.rows.map((r) => r.id)), new Set(ids));
});

test.run();
