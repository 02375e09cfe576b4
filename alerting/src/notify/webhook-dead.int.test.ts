import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertEngine } from '../alerts/alert-engine.js';
import { spo2, TestClock } from '../alerts/test-fixtures.js';
import { createScratchDatabase, openDatabase } from '../db/index.js';
import { WebhookNotifier } from './webhook-notifier.js';

test('a notification is marked dead after its last attempt and never sent again', async () => {
  let posts = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts++;
      res.statusCode = 503;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  const targets = [
    {
      name: 'pager',
      url,
      secret: 'a-test-secret-of-32-characters!!',
      kinds: ['raised' as const],
      minSeverity: 'high' as const,
    },
  ];
  const notifier = new WebhookNotifier({
    db,
    targets,
    clock: clock.read,
    maxAttempts: 3,
    baseDelayMs: 1000,
  });
  const outbox = async () =>
    (
      await db.query<{ status: string; attempts: number; last_error: string | null }>(
        'select status, attempts, last_error from alerting.webhook_outbox',
      )
    ).rows;
  try {
    await notifier.enqueue();
    for (let s = 0; s < 12; s++) {
      await engine.handleObservations([spo2('p-dead', 80, clock.now)]);
      clock.advance(1000);
    }

    await notifier.run();
    clock.advance(1000);
    await notifier.run();
    assert.equal(
      (await outbox()).map((r) => [r.status, r.attempts]),
      [['pending', 2]],
    );
    clock.advance(2000);
    await notifier.run();

    const [row] = await outbox();
    assert.equal([row?.status, row?.attempts, posts], ['dead', 3, 3]);
    assert.ok(row?.last_error, 'the last failure is kept for an operator');
    clock.advance(3_600_000);
    await notifier.run();
    assert.is(posts, 3, 'a dead notification is not retried');
  } finally {
    await notifier.stop();
    await engine.close();
    await db.close();
    await scratch.drop();
    server.close();
  }
});

test.run();
