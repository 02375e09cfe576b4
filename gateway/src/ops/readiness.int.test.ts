/**
 * `/readyz` follows the Redis that hubs share: a real redis-server of the test's own, stopped
 * and started again under a hub's socket.io Redis adapter. The database and broker are not
 * under test here and stand in as always up (deployment.int.test.ts covers the database).
 */
import type { AlertingService, Database } from '@sparkden/alerting';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Hono } from 'hono';
import { Server } from 'socket.io';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { useRedisAdapter } from '../hub/redis-adapter.js';
import { freePort } from '../testing/hub-process.js';
import { readinessHandler } from './readiness.js';

async function startRedis(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 10_000;
  while (!out.includes('Ready to accept connections')) {
    assert.ok(Date.now() < until, `redis-server started: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return child;
}

async function waitForStatus(app: Hono, status: number) {
  const until = Date.now() + 15_000;
  for (;;) {
    const res = await app.request('/readyz');
    if (res.status === status) {
      return (await res.json()) as { checks: Record<string, string> };
    }
    assert.ok(Date.now() < until, `/readyz reached ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a hub that loses the shared Redis is not ready, and is again when Redis is back', async () => {
  const port = await freePort();
  let redis = await startRedis(port);
  // Never attached to an HTTP server: only its adapter is under test.
  const io = new Server();
  const link = await useRedisAdapter(io, `redis://127.0.0.1:${port}`);
  const db = { query: () => Promise.resolve({ rows: [], rowCount: 1 }) } as unknown as Database;
  const alerting = { broker: { isListening: () => true } } as unknown as AlertingService;
  const app = new Hono().get('/readyz', readinessHandler({ db, alerting, redis: link }));
  try {
    assert.equal((await waitForStatus(app, 200)).checks, {
      database: 'ok',
      broker: 'ok',
      redis: 'ok',
    });

    redis.kill('SIGKILL');
    await once(redis, 'exit');
    assert.is((await waitForStatus(app, 503)).checks.redis, 'disconnected');

    redis = await startRedis(port);
    assert.is((await waitForStatus(app, 200)).checks.redis, 'ok');
  } finally {
    redis.kill('SIGKILL');
    await link.close();
  }
});

test.run();
