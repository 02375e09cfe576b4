import { createVisitTokenIssuer, findWorkerBinary, reportMissingMedia } from '@sparkden/sfu';
import {
  consumeAll,
  joinVisitPeer,
  produceAudioVideo,
  type SignalingPeer,
} from '@sparkden/sfu/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// `/metrics` of a standalone `sparkden start --role sfu` node, as Prometheus scrapes it in
// compose and Kubernetes: the same `sparkden_sfu_worker_load` the SFU capacity alert sums,
// sampled from the node's own workers, behind the SPARKDEN_METRICS_TOKEN_FILE bearer token.
const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const TOKEN = 'scrape-token-of-this-sfu-test';
const dataDir = mkdtempSync(join(tmpdir(), 'sd-role-sfu-metrics-'));
const tokenFile = join(dataDir, 'metrics-token');
writeFileSync(tokenFile, `${TOKEN}\n`);
const worker = findWorkerBinary();
const peers: SignalingPeer[] = [];
let child: ChildProcess | undefined;
let base = '';

function startRole(): Promise<number> {
  const proc = spawn(process.execPath, ['--import', 'tsx', START, '--role', 'sfu'], {
    env: {
      ...process.env,
      SPARKDEN_DATA_DIR: dataDir,
      SPARKDEN_LOG_LEVEL: 'info',
      SPARKDEN_HTTP_PORT: '0',
      SPARKDEN_METRICS_TOKEN_FILE: tokenFile,
      SPARKDEN_SFU_LISTEN_IP: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';

  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "sfu listening" in\n${out}`)), 60_000);
    const take = (d: Buffer) => {
      out += d.toString();
      const port = /"port":(\d+)[^\n]*"msg":"sfu listening"/.exec(out)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        ok(Number(port));
      }
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited ${code}:\n${out}`));
    });
  });
}

function scrape(authorization?: string): Promise<Response> {
  return fetch(`${base}/metrics`, authorization ? { headers: { authorization } } : {});
}

// Samples of `name` (no suffixes), keyed by their label set as written.
async function samples(name: string): Promise<Map<string, number>> {
  const text = await (await scrape(`Bearer ${TOKEN}`)).text();
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) {
      found.set(m[1] ?? '', Number(m[2]));
    }
  }

  return found;
}

const total = (values: Map<string, number>) => [...values.values()].reduce((a, b) => a + b, 0);

test.before(async () => {
  base = `http://127.0.0.1:${await startRole()}`;
});

test.after(async () => {
  for (const p of peers) {
    p.close();
  }
  child?.kill('SIGTERM');
  await new Promise((ok) => (child?.exitCode === null ? child.once('exit', ok) : ok(null)));
  rmSync(dataDir, { recursive: true, force: true });
});

test('/metrics answers only a scrape carrying the token from SPARKDEN_METRICS_TOKEN_FILE', async () => {
  const anonymous = await scrape();
  const wrong = await scrape('Bearer not-the-token-at-all');
  const right = await scrape(`Bearer ${TOKEN}`);

  assert.is(anonymous.status, 401);
  assert.is(anonymous.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  assert.is(wrong.status, 401);
  assert.is(right.status, 200);
  assert.match(right.headers.get('content-type') ?? '', /^text\/plain/);
  const body = await right.text();
  assert.match(body, /^sparkden_process_cpu_seconds_total /m, 'process metrics too');
  const health = (await (await fetch(`${base}/healthz`)).json()) as {
    media: { available: boolean; workers: number };
  };
  assert.is(health.media.available, worker.available);
  assert.is(total(await samples('sparkden_sfu_workers')), health.media.workers);
});

if (!worker.available) {
  reportMissingMedia(test, 'standalone SFU metrics under load', worker.reason);
} else {
  test("a visit's producers, consumers, router and participants show per worker", async () => {
    const keyFile = join(dataDir, 'keys', 'visit-token.key');
    const secret = Buffer.from(readFileSync(keyFile, 'utf8'), 'base64');
    const issuer = createVisitTokenIssuer(secret);
    const seat = async (userId: string, role: 'host' | 'patient') => {
      const token = await issuer.issue({
        appointmentId: 'apt-metrics',
        userId,
        role,
        displayName: userId,
      });
      const peer = await joinVisitPeer(base, token);
      peers.push(peer);
      return peer;
    };
    const health = (await (await fetch(`${base}/healthz`)).json()) as {
      media: { workers: number };
    };
    const labels = Array.from({ length: health.media.workers }, (_, i) => `{worker="${i}"}`);
    const idle = await samples('sparkden_sfu_worker_load');
    const host = await seat('doc', 'host');
    const patient = await seat('pat', 'patient');
    await host.request('admit', { participantId: patient.participantId });
    await consumeAll(patient, await produceAudioVideo(host));

    const load = await samples('sparkden_sfu_worker_load');
    const consumers = await samples('sparkden_sfu_worker_consumers');
    const routers = await samples('sparkden_sfu_worker_routers');

    assert.equal([...idle.keys()].sort(), labels);
    assert.is(total(idle), 0);
    assert.equal([...load.keys()].sort(), labels);
    assert.is(total(load), 4, 'two producers and two consumers');
    assert.is(total(consumers), 2);
    assert.is(total(routers), 1, 'one visit, one router');
    assert.is(total(await samples('sparkden_sfu_visits')), 1);
    assert.is(total(await samples('sparkden_sfu_participants')), 2);

    await host.request('end');

    assert.is(total(await samples('sparkden_sfu_worker_load')), 0, 'released when it ends');
    assert.is(total(await samples('sparkden_sfu_worker_routers')), 0);
    assert.is(total(await samples('sparkden_sfu_visits')), 0);
  });
}

test.run();
