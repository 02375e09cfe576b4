/**
 * The hub or its database gone during the stream, with real processes only: the product hub
 * (`sparkden start`) runs as a child process, and a `sparkden-agent run` process, enrolled
 * through the hub's enrollment endpoint with a one-time token, reads a device that keeps
 * producing; some readings of the outage fall below the agent's urgent SpO2 threshold.
 *
 * - Hub killed: the hub (on a scratch database of the shared PostgreSQL) is SIGKILLed
 *   mid-stream and stays down while readings keep coming; the agent raises each alarm on the
 *   box (error log line, local webhook) and queues everything. The hub then starts again on
 *   the same database and data directory.
 * - Database stopped: the hub runs on a PostgreSQL server of the test's own, which is stopped
 *   (`pg_ctl stop -m immediate`) mid-stream and started again; the hub process stays up.
 *
 * Either way every reading lands in `vitals.observation` exactly once (judged by device time,
 * as the agent names readings itself), and the hub stored the alarms before the backlog.
 *
 * `SD_AGENT_OUTAGE_SECONDS` sets how long the device produces during each outage (default
 * 30; the issue's "minutes" is e.g. 180).
 */
import { createScratchDatabase, issueToken, openDatabase, type Database } from '@sparkden/alerting';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { startPrivatePostgres } from '../testing/private-postgres.js';

// [issue 4: the hub or its database stopped for minutes during the stream]
const OUTAGE_SECONDS = Number(process.env.SD_AGENT_OUTAGE_SECONDS ?? 30);
const BEFORE = 500;
/** The device produces 20 readings a second during the outage. */
const PER_SECOND = 20;
const OUTAGE_READINGS = OUTAGE_SECONDS * PER_SECOND;
const DEVICE_ID = 'oxi-outage-1';
const PATIENT = 'patient-outage-4b7d';

// Every 150th reading of the outage, from its 76th, breaches the SpO2 rule and the next one
// re-arms it, so each breach is one alarm; none breaches before the outage.
const FIRST_BREACH = BEFORE + 75;
const isBreach = (n: number) => n >= FIRST_BREACH && (n - FIRST_BREACH) % 150 === 0;
const BREACHES = Math.ceil((OUTAGE_READINGS - 75) / 150);
if (!(BREACHES > 0)) {
  throw new TypeError('"SD_AGENT_OUTAGE_SECONDS" must be at least 4 (an alarm-level reading)');
}

interface Webhook {
  server: Server;
  url: string;
  alarms: Array<{ code?: string; reason?: string; patient?: string }>;
}

async function startWebhook(): Promise<Webhook> {
  const alarms: Webhook['alarms'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      alarms.push(JSON.parse(body) as Webhook['alarms'][number]);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return { server, url: `http://127.0.0.1:${port}/alarm`, alarms };
}

/** One hub process, one enrolled agent process, its device and local webhook. */
interface Stand {
  hub: HubProcess;
  restartHub(): Promise<void>;
  db: Database;
  agent: AgentProcess;
  agentId: string;
  stateDir: string;
  device: NdjsonDevice;
  webhook: Webhook;
  /** Distinct readings of the device stored, from reading `n` on. */
  storedSince(n: number): Promise<number>;
  alarmsStored(): Promise<number>;
  /** The device produces the outage's readings, at its pace, until all are written. */
  produceOutage(): Promise<void>;
  /** Waits for a drained queue, stops the agent, and reads the stored rows. */
  finish(): Promise<StoredRows>;
}

interface StoredRows {
  /** Readings of the device stored with another value, or not at all. */
  missing: number[];
  /** Device times stored more than once. */
  repeated: string[];
  rows: number;
  /** Whether every alarm was stored before the first reading taken after reading `n`. */
  alarmsBefore(n: number): Promise<{ first: boolean | null; reasons: string[] }>;
}

const TOTAL = BEFORE + OUTAGE_READINGS;

/** Starts the hub on `databaseUrl`, enrolls and runs the agent, stores the first readings. */
async function withStand(databaseUrl: string, body: (stand: Stand) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-outage-'));
  const webhook = await startWebhook();
  const hubOptions = {
    databaseUrl,
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
    db = await openDatabase({ url: databaseUrl });
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { token } = await issueToken(db, { createdBy: 'outage-test', expiresAt });
    const stateDir = join(dir, 'agent');
    const agentId = await enrollAgentProcess(hub.url, token, stateDir);
    const memory = join(dir, 'oximeter-memory.ndjson');
    const device = new NdjsonDevice({
      path: memory,
      startMs: Date.now() - 3_600_000,
      stepMs: 1000,
      value: (n) => (isBreach(n) ? 80 : 97),
    });
    const configFile = join(dir, 'agent.yaml');
    const file = { path: memory, ratePerSecond: 1000, follow: true };
    const config = {
      stateDir,
      devices: [{ id: DEVICE_ID, driver: 'ndjson-file', patient: PATIENT, file }],
      alarms: [{ name: 'SPO2_LOW', code: 'spo2', below: 88 }],
      localAlarm: { webhook: webhook.url },
      uplink: { ackTimeoutSeconds: 5, heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } },
    };
    writeFileSync(configFile, stringify(config));
    const q = db;
    const storedSince = async (n: number) => {
      const { rows } = await q.query<{ n: number }>(
        `select count(distinct device_time)::int as n from vitals.observation
         where agent_id = $1 and device_id = $2 and device_time >= $3`,
        [agentId, DEVICE_ID, new Date(device.timeOf(n))],
      );

      return rows[0]?.n ?? 0;
    };
    const alarmsStored = async () => {
      const { rows } = await q.query<{ n: number }>(
        'select count(*)::int as n from vitals.alarm where agent_id = $1',
        [agentId],
      );

      return rows[0]?.n ?? 0;
    };

    const running = spawnAgentProcess(configFile);
    agent = running;
    device.produce(BEFORE);
    await waitUntil('the readings before the outage stored', async () => {
      return (await storedSince(0)) === BEFORE;
    });

    const stand: Stand = {
      hub,
      async restartHub() {
        await stand.hub.kill();
        stand.hub = await startHubProcess(hubOptions);
        hub = stand.hub;
      },
      db,
      agent: running,
      agentId,
      stateDir,
      device,
      webhook,
      storedSince,
      alarmsStored,
      async produceOutage() {
        pump = setInterval(() => device.produce(Math.min(5, TOTAL - device.produced)), 250);
        const ms = 60_000 + OUTAGE_SECONDS * 2000;
        await waitUntil('the outage stream produced', () => device.produced === TOTAL, ms);
      },
      async finish() {
        await waitUntil('the agent queue drained', async () => {
          const s = await agentStatus(stateDir);

          return s.queue?.depth === 0 && s.queueDetail?.pendingInMemory === 0;
        });
        running.child.kill('SIGTERM');
        await running.exited;

        return readStored(q, agentId, device);
      },
    };
    await body(stand);
  } catch (error) {
    throw withAgentOutput(error, agent);
  } finally {
    clearInterval(pump);
    agent?.child.kill('SIGKILL');
    await agent?.exited;
    await hub?.kill();
    await db?.close();
    await new Promise((resolve) => webhook.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readStored(
  db: Database,
  agentId: string,
  device: NdjsonDevice,
): Promise<StoredRows> {
  const { rows } = await db.query<{ at: string; value: number; n: number }>(
    `select (extract(epoch from device_time) * 1000)::bigint::text as at, value,
            count(*)::int as n
     from vitals.observation where agent_id = $1
     group by device_time, value`,
    [agentId],
  );
  const byTime = new Map(rows.map((r) => [Number(r.at), r]));
  const missing: number[] = [];
  for (let n = 0; n < TOTAL; n++) {
    if (byTime.get(device.timeOf(n))?.value !== device.valueOf(n)) {
      missing.push(n);
    }
  }

  return {
    missing,
    repeated: rows.filter((r) => r.n > 1).map((r) => r.at),
    rows: rows.length,
    async alarmsBefore(n: number) {
      const order = await db.query<{ first: boolean | null; reasons: string[] | null }>(
        `select bool_and(a.stored_at < o.first) as first, array_agg(a.reason) as reasons
         from vitals.alarm a,
              (select min(stored_at) as first from vitals.observation
               where agent_id = $1 and device_time > $2) o
         where a.agent_id = $1`,
        [agentId, new Date(device.timeOf(n))],
      );

      return { first: order.rows[0]?.first ?? null, reasons: order.rows[0]?.reasons ?? [] };
    },
  };
}

/** Every reading exactly once, with its value. */
function assertExactlyOnce(stored: StoredRows): void {
  assert.equal(stored.missing, [], 'readings the device produced and the hub never stored');
  assert.equal(stored.repeated, [], 'readings stored more than once');
  assert.is(stored.rows, TOTAL);
}

test('hub killed during the stream: local alarms, then full backfill with alarms first', async () => {
  const scratch = await createScratchDatabase('sd_agent_outage');
  try {
    await withStand(scratch.url, async (stand) => {
      const { agent, webhook } = stand;
      const linkDowns = () => agent.lines.filter((l) => l.includes('"event":"linkDown"')).length;
      const downsBefore = linkDowns();
      await stand.hub.kill();
      // Only then does the device go on: every reading of the outage is taken offline.
      await waitUntil('the agent sees the hub gone', () => linkDowns() > downsBefore);
      await stand.produceOutage();
      await waitUntil('one local alarm per breach', () => webhook.alarms.length === BREACHES);
      const down = await waitUntil('every reading and alarm queued', async () => {
        const s = await agentStatus(stand.stateDir);
        const queued = (s.queue?.depth ?? 0) >= OUTAGE_READINGS + BREACHES;

        return s.readingsAccepted === TOTAL && queued ? s : undefined;
      });
      const storedDuringOutage = await stand.storedSince(BEFORE);

      await stand.restartHub();
      await waitUntil(
        'full backfill',
        async () =>
          (await stand.storedSince(0)) === TOTAL && (await stand.alarmsStored()) === BREACHES,
        180_000,
      );
      const stored = await stand.finish();
      // The whole backlog of the outage, read before or after the first breach: none of it
      // was sent before the link came back, and then the alarms went first.
      const order = await stored.alarmsBefore(BEFORE - 1);
      const alerts = await stand.db.query<{ n: number }>(
        `select count(*)::int as n from alerting.alerts
         where patient_id = $1 and rule_kind = 'device-alarm' and code = 'SPO2_LOW'`,
        [PATIENT],
      );
      const localLines = agent.lines.filter((l) => l.includes('"event":"localAlarmRaised"'));

      // While the hub was down: the agent took everything, raised each alarm on the box.
      assert.is.not(down.link, 'online');
      assert.is(down.localAlarmsRaised, BREACHES);
      assert.is(storedDuringOutage, 0, 'a reading reached the database while the hub was dead');
      assert.is(webhook.alarms.length, BREACHES);
      assert.ok(webhook.alarms.every((a) => a.code === 'SPO2_LOW' && a.patient === PATIENT));
      assert.is(localLines.length, BREACHES);
      assert.ok(
        localLines.every((l) => (JSON.parse(l) as { level: number }).level === 50),
        'local alarms are logged at error level',
      );
      // After the restart: alarms first, then the backlog, each reading exactly once.
      assert.is(order.first, true, 'a reading of the outage was stored before an alarm');
      assert.is(order.reasons.length, BREACHES);
      assert.ok(order.reasons.every((r) => r.endsWith(';raised-locally')));
      assert.ok((alerts.rows[0]?.n ?? 0) > 0, 'the hub raised an alert for the agent alarms');
      assertExactlyOnce(stored);
      // [STYLE: no PHI in logs] neither the patient nor a value in any agent log line.
      assert.ok(agent.lines.every((l) => !l.includes(PATIENT) && !l.includes('"value"')));
    });
  } finally {
    await scratch.drop();
  }
});

test('database stopped during the stream: nothing acked, then full backfill with alarms first', async () => {
  const server = await startPrivatePostgres({ port: await freePort() });
  try {
    await withStand(server.url, async (stand) => {
      const { agent } = stand;
      await server.stop();
      await stand.produceOutage();
      await waitUntil('every reading taken and queued', async () => {
        const s = await agentStatus(stand.stateDir);
        const queued = (s.queue?.depth ?? 0) >= OUTAGE_READINGS + BREACHES;

        return s.readingsAccepted === TOTAL && queued;
      });
      await waitUntil('a batch left unacked', () => agent.logged('ackTimeout'));

      await server.start();
      await waitUntil(
        'full backfill',
        async () =>
          (await stand.storedSince(0)) === TOTAL && (await stand.alarmsStored()) === BREACHES,
        180_000,
      );
      const stored = await stand.finish();
      // Readings taken before the first breach may have been sent, unacked, before there was
      // an alarm; every reading taken after it waits for the alarms' acks.
      const order = await stored.alarmsBefore(FIRST_BREACH);

      assert.is(stand.hub.child.exitCode, null, 'the hub process survived the outage');
      assert.is(order.first, true, 'a reading taken after an alarm was stored before it');
      assert.is(order.reasons.length, BREACHES);
      assertExactlyOnce(stored);
    });
  } finally {
    await server.destroy();
  }
});

test.run();
