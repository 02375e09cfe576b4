/**
 * The hub's queues in the database, as `/metrics` reports them, and the scrape token: a hub
 * on a scratch PostgreSQL database with `metricsToken` set; rows are put into (and taken
 * out of) the real queue tables and the gauges follow them.
 */
import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startHub, type Hub } from '../hub.js';

const TOKEN = 'a-scrape-token-of-32-characters!!';
let scratch: ScratchDatabase;
let dataDir: string;
let hub: Hub;

test.before(async () => {
  scratch = await createScratchDatabase('sd_hub_queues');
  dataDir = mkdtempSync(join(tmpdir(), 'sd-hub-queues-'));
  hub = await startHub({
    dataDir,
    databaseUrl: scratch.url,
    httpPort: 0,
    httpHost: '127.0.0.1',
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    sfu: false,
    webRoot: join(dataDir, 'no-web-client'),
    logger: pino({ level: 'silent' }),
    metricsToken: TOKEN,
  });
  // Every scrape reads the tables afresh, so a change shows on the next one.
  hub.metrics.queues.watch(hub.db, 0);
});

test.after(async () => {
  await hub?.stop();
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const res = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.is(res.status, 200);

  return res.text();
}

function gauge(text: string, name: string, queue: string): number {
  const m = new RegExp(`^${name}\\{queue="${queue}"\\} ([0-9.e+-]+)$`, 'm').exec(text);

  return m === null ? Number.NaN : Number(m[1]);
}

const depth = (text: string, queue: string) => gauge(text, 'sparkden_hub_queue_depth', queue);
const oldest = (text: string, queue: string) =>
  gauge(text, 'sparkden_hub_queue_oldest_seconds', queue);

test('/metrics refuses a scrape without the bearer token and answers one with it', async () => {
  const open = await fetch(`${hub.url}/metrics`);
  const wrong = await fetch(`${hub.url}/metrics`, { headers: { authorization: 'Bearer nope' } });

  assert.is(open.status, 401);
  assert.is(open.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  assert.is(wrong.status, 401);
  assert.match(await scrape(), /^sparkden_hub_queue_depth\{queue="audit_outbox"\} \d+$/m);
});

test('the queue gauges follow rows put into and taken out of the queue tables', async () => {
  const before = await scrape();
  const queues = ['unevaluated_batches', 'webhook_pending', 'webhook_dead', 'audit_outbox'];
  for (const queue of queues) {
    assert.ok(depth(before, queue) >= 0, `${queue} is reported`);
  }

  await hub.db.exec(`
    insert into vitals.unevaluated_batch (agent_id, kind, seq, ids, committed_at) values
      ('agent-queues', 'obs', 1, '{}', now() - interval '120 seconds'),
      ('agent-queues', 'alarm', 2, '{}', now());
    insert into alerting.webhook_outbox (target, body, next_attempt_at, status, created_at)
      select 'queue-test', '{}', now() + interval '1 day', s, now() - interval '60 seconds'
      from unnest(array['pending', 'pending', 'pending', 'dead', 'delivered']) s;
    insert into alerting.audit_outbox (record, next_attempt_at, created_at)
      values ('{}', now() + interval '1 day', now() - interval '30 seconds');
  `);
  const during = await scrape();
  await hub.db.exec(`
    delete from vitals.unevaluated_batch where agent_id = 'agent-queues';
    delete from alerting.webhook_outbox where target = 'queue-test';
    delete from alerting.audit_outbox where record = '{}'::jsonb;
  `);
  const after = await scrape();

  assert.is(depth(during, 'unevaluated_batches'), depth(before, 'unevaluated_batches') + 2);
  assert.is(depth(during, 'webhook_pending'), depth(before, 'webhook_pending') + 3);
  assert.is(depth(during, 'webhook_dead'), depth(before, 'webhook_dead') + 1, 'delivered: no');
  assert.is(depth(during, 'audit_outbox'), depth(before, 'audit_outbox') + 1);
  // Ages of rows written with a past time: data, not a measured duration.
  assert.ok(oldest(during, 'unevaluated_batches') >= 120, 'the oldest unevaluated batch');
  assert.ok(oldest(during, 'webhook_pending') >= 60, 'the oldest pending notification');
  assert.ok(oldest(during, 'audit_outbox') >= 30, 'the oldest audit record');
  for (const queue of queues) {
    assert.is(depth(after, queue), depth(before, queue), `${queue} back where it was`);
  }
});

test('dead webhook rows are counted from an index of their own, not past delivered rows', async () => {
  await hub.db.query(
    `insert into alerting.webhook_outbox (target, body, next_attempt_at, status, created_at)
     select 'https://hooks.example/a', '{}', now(), 'delivered', now() from generate_series(1, 5000)`,
  );
  await hub.db.query(
    `insert into alerting.webhook_outbox (target, body, next_attempt_at, status, created_at)
     values ('https://hooks.example/a', '{}', now(), 'dead', now())`,
  );
  await hub.db.query('analyze alerting.webhook_outbox');
  const { rows } = await hub.db.query<{ 'QUERY PLAN': string }>(
    `explain select 1 from alerting.webhook_outbox where status = 'dead' limit 100000`,
  );

  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  assert.match(plan, 'webhook_outbox_dead', plan);
  assert.match(await scrape(), /sparkden_hub_queue_depth\{queue="webhook_dead"\} [1-9]/);
  await hub.db.query('delete from alerting.webhook_outbox');
});

test.run();
