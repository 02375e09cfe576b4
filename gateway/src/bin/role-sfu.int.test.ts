import { findWorkerBinary } from '@sparkden/sfu';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

// `sparkden start --role sfu` runs only an SFU node: no database, no broker, no gateway;
// it shares the hub's keys and registers its load in Redis for placement.
const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';
const media = findWorkerBinary().available;
const dataDir = mkdtempSync(join(tmpdir(), 'sd-role-sfu-'));
let child: ChildProcess | undefined;
const redis = new Redis(REDIS_URL);

function startRole(env: Record<string, string>): Promise<{ port: number; out: string[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', START, '--role', 'sfu'], {
    env: { ...process.env, SPARKDEN_DATA_DIR: dataDir, SPARKDEN_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const out: string[] = [];

  return new Promise((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no "sfu listening" in\n${out.join('')}`)),
      60_000,
    );
    const take = (d: Buffer) => {
      out.push(d.toString());
      const port = /"port":(\d+)[^\n]*"msg":"sfu listening"/.exec(out.join(''))?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        ok({ port: Number(port), out });
      }
    };
    proc.stdout.on('data', take);
    proc.stderr.on('data', take);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited ${code}:\n${out.join('')}`));
    });
  });
}

test('with REDIS_URL but no public URL the role refuses to start, naming the variable', async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', START, '--role', 'sfu'], {
    env: { ...process.env, SPARKDEN_DATA_DIR: dataDir, REDIS_URL, SPARKDEN_PUBLIC_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((ok) => proc.on('exit', ok));

  assert.is.not(code, 0);
  assert.match(err, /SPARKDEN_PUBLIC_URL/);
});

test('an SFU node answers health, readiness by its media, and registers in Redis', async () => {
  const publicUrl = 'https://sfu-test.example.org';
  const { port } = await startRole({
    SPARKDEN_HTTP_PORT: '0',
    REDIS_URL,
    SPARKDEN_PUBLIC_URL: publicUrl,
  });
  const base = `http://127.0.0.1:${port}`;
  const health = (await (await fetch(`${base}/healthz`)).json()) as {
    media: { available: boolean };
  };
  const ready = await fetch(`${base}/readyz`);
  const nodeId = `${(await import('node:os')).hostname()}:${child?.pid}`;
  const registered = await redis.hget(`sd:sfu:node:${nodeId}`, 'url');

  assert.is(health.media.available, media);
  assert.is(ready.status, media ? 200 : 503);
  // A node without media never offers itself for visits.
  assert.is(registered, media ? publicUrl : null);
  // Not a hub: no gateway routes, no broker.
  assert.is((await fetch(`${base}/fhir/metadata`)).status, 404);

  child?.kill('SIGTERM');
  await new Promise((ok) => child?.once('exit', ok));
  child = undefined;

  assert.is(await redis.exists(`sd:sfu:node:${nodeId}`), 0);
});

test.after(async () => {
  child?.kill('SIGKILL');
  redis.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
