/**
 * Scale-out with real engines: two hub processes share PostgreSQL and Redis. Agents reach
 * them through a TCP load balancer (TLS passes through, mutual TLS ends at the hub). A
 * nurse's console on either hub receives every alert (socket.io Redis adapter); killing one
 * hub with SIGKILL loses no stored reading, the agent's backlog drains into the other hub,
 * and a console that was on the dead hub reconnects to the other and replays what it missed.
 */
import { createScratchDatabase } from '@sparkden/alerting';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  createServer,
  connect,
  type Server,
  type Socket as NetSocket,
  type AddressInfo,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { currentTotp } from '../auth/totp.js';

const sparkden = fileURLToPath(new URL('../../bin/sparkden.js', import.meta.url));
const run = promisify(execFile);

interface AlertEvent {
  cursor: number;
  alert: { code: string; patientId: string };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise((ok) => s.close(ok));

  return port;
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 120_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A TCP load balancer whose backend can be switched, as an operator's LB would fail over. */
function balancer(): { server: Server; target: { port: number }; sockets: Set<NetSocket> } {
  const target = { port: 0 };
  const sockets = new Set<NetSocket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });

  return { server, target, sockets };
}

interface HubProcess {
  child: ChildProcess;
  http: number;
  mqtt: number;
  url: string;
}

async function startHubProcess(env: Record<string, string>, demo: boolean): Promise<HubProcess> {
  const http = await freePort();
  const mqtt = await freePort();
  const child = spawn(process.execPath, [sparkden, 'start', ...(demo ? [] : ['--no-demo'])], {
    env: {
      ...process.env,
      ...env,
      SPARKDEN_HTTP_PORT: String(http),
      SPARKDEN_HTTP_HOST: '127.0.0.1',
      SPARKDEN_MQTT_PORT: String(mqtt),
      SPARKDEN_MQTT_HOST: '127.0.0.1',
      SPARKDEN_SFU: 'off',
      SPARKDEN_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', process.env.SD_TEST_HUB_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${http}`;
  await waitFor(`hub on ${http}`, async () => {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );

    return ok ? true : undefined;
  });

  return { child, http, mqtt, url };
}

async function login(url: string): Promise<string> {
  return waitFor('the nurse login', async () => {
    const res = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'demo-nurse',
        password: 'Spark-Den-demo-2026',
        totp: currentTotp('KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU'),
      }),
    });

    return res.ok ? ((await res.json()) as { access_token: string }).access_token : undefined;
  });
}

function openConsole(url: string, token: string, seen: AlertEvent[]): Socket {
  const socket = connectSocket(`${url}/console`, {
    // The cursor of the last event seen, read at every (re)connection.
    auth: (cb) => cb({ token, cursor: seen.at(-1)?.cursor ?? 0 }),
    transports: ['websocket'],
    reconnectionDelay: 200,
  });
  socket.on('alert', (e: AlertEvent) => {
    if (!seen.some((s) => s.cursor === e.cursor)) {
      seen.push(e);
    }
  });

  return socket;
}

test('two hubs: consoles on either see every alert; killing one loses nothing', async () => {
  const scratch = await createScratchDatabase('sd_scale');
  const dataDir = mkdtempSync(join(tmpdir(), 'sd-scale-'));
  const lb = balancer();
  await new Promise<void>((ok) => lb.server.listen(0, '127.0.0.1', ok));
  const lbPort = (lb.server.address() as AddressInfo).port;
  const env = {
    DATABASE_URL: scratch.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    SPARKDEN_DATA_DIR: dataDir,
    // Both hubs are one service behind one name: one token issuer.
    SPARKDEN_PUBLIC_URL: 'http://hub.sparkden.test',
    SPARKDEN_DEMO_MQTT_URL: `mqtts://localhost:${lbPort}`,
  };
  const sql = new pg.Client({ connectionString: scratch.url });
  const hubs: HubProcess[] = [];
  const sockets: Socket[] = [];
  try {
    const a = await startHubProcess(env, true);
    hubs.push(a);
    lb.target.port = a.mqtt;
    const b = await startHubProcess(env, false);
    hubs.push(b);
    await sql.connect();

    const token = await login(b.url);
    const onA: AlertEvent[] = [];
    const onB: AlertEvent[] = [];
    sockets.push(openConsole(a.url, token, onA), openConsole(b.url, token, onB));

    // The agent is connected to hub A only; hub A's engine raises the alert.
    const first = await waitFor('the SpO2 alert on the console of hub B', () =>
      onB.find((e) => e.alert.code === 'spo2'),
    );
    await waitFor('the same alert on hub A', () => onA.find((e) => e.cursor === first.cursor));

    const before = await sql.query<{ n: number; ids: string[] }>(
      'select count(*)::int as n, array_agg(id::text) as ids from vitals.observation',
    );
    a.child.kill('SIGKILL');
    await new Promise((ok) => a.child.once('exit', ok));
    for (const s of lb.sockets) {
      s.destroy();
    }
    lb.target.port = b.mqtt;
    // The console that was on hub A fails over to hub B with its cursor.
    sockets[0].close();
    sockets[0] = openConsole(b.url, token, onA);

    const after = await waitFor('readings stored through hub B', async () => {
      const r = await sql.query<{ n: number }>('select count(*)::int as n from vitals.observation');

      return r.rows[0].n > before.rows[0].n + 5 ? r.rows[0].n : undefined;
    });
    assert.ok(after > before.rows[0].n);
    const kept = await sql.query<{ n: number }>(
      'select count(*)::int as n from vitals.observation where id::text = any($1)',
      [before.rows[0].ids],
    );
    assert.is(kept.rows[0].n, before.rows[0].n, 'every reading stored before the kill is kept');

    // An event raised after the kill (by hub B) reaches the failed-over console too.
    const lastBeforeKill = Math.max(...onA.map((e) => e.cursor));
    const later = await waitFor('an alert event after the kill on hub B', () =>
      onB.find((e) => e.cursor > lastBeforeKill),
    );
    await waitFor('the failed-over console replays it', () =>
      onA.find((e) => e.cursor === later.cursor),
    );
    const missing = onB.filter((e) => !onA.some((x) => x.cursor === e.cursor));
    assert.equal(missing, [], 'the failed-over console has every event hub B pushed');

    // What the agent held when hub A died drains into hub B: once its queue is empty, the
    // oximeter's readings (about one a second) run through the kill with no hole in them.
    const killedAt = new Date();
    await waitFor('the agent queue drained into hub B', async () => {
      const out = await run(process.execPath, [
        fileURLToPath(new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url)),
        'status',
        '--state-dir',
        join(dataDir, 'demo-agent'),
        '--json',
      ])
        .then((r) => r.stdout)
        .catch((e: { stdout?: string }) => e.stdout ?? '{}');
      const st = JSON.parse(out) as { queue?: { depth: number }; sentAt?: string };

      return st.queue?.depth === 0 && Date.parse(st.sentAt ?? '') > killedAt.getTime()
        ? true
        : undefined;
    });
    const gaps = await sql.query<{ gap: number | null }>(
      `select extract(epoch from max(d))::float as gap from (
         select effective_at - lag(effective_at) over (order by effective_at) as d
         from vitals.observation where patient = 'demo-patient-1' and device_id = 'demo-oximeter-1'
       ) g`,
    );
    assert.ok((gaps.rows[0].gap ?? 0) < 15, `a ${gaps.rows[0].gap} s hole in the readings`);

    const dup = await sql.query<{ n: number }>(
      'select count(*)::int as n from (select id from vitals.observation group by id having count(*) > 1) d',
    );
    assert.is(dup.rows[0].n, 0, 'no reading stored twice');
  } finally {
    for (const s of sockets) {
      s.close();
    }
    for (const h of hubs) {
      h.child.kill('SIGKILL');
    }
    // The demo agent was hub A's child; a SIGKILLed parent leaves it running.
    await run('pkill', ['-f', join(dataDir, 'demo-agent')]).catch(() => undefined);
    const simPid = Number(readFileSync(join(dataDir, 'demo-agent', 'simulator.pid'), 'utf8'));
    try {
      process.kill(simPid, 'SIGTERM');
    } catch {
      // already gone
    }
    lb.server.close();
    for (const s of lb.sockets) {
      s.destroy();
    }
    await sql.end().catch(() => undefined);
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
