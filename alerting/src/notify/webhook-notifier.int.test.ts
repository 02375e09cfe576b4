import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertEngine } from '../alerts/alert-engine.js';
import { spo2, TestClock } from '../alerts/test-fixtures.js';
import { createScratchDatabase, openDatabase } from '../db/index.js';
import { SIGNATURE_HEADER, signWebhook, verifyWebhook } from './signature.js';
import { WebhookNotifier, type WebhookPayload } from './webhook-notifier.js';

const SECRET = 'a-test-secret-of-32-characters!!';

test('signatures verify, and fail on a changed body, a wrong key or an old timestamp', () => {
  const sig = signWebhook(SECRET, '{"a":1}', 1_767_600_000);
  assert.ok(verifyWebhook(SECRET, '{"a":1}', sig, 1_767_600_010));
  assert.not.ok(verifyWebhook(SECRET, '{"a":2}', sig, 1_767_600_010));
  assert.not.ok(verifyWebhook('another-secret-of-enough-length', '{"a":1}', sig, 1_767_600_010));
  assert.not.ok(verifyWebhook(SECRET, '{"a":1}', sig, 1_767_600_000 + 301));
  assert.not.ok(verifyWebhook(SECRET, '{"a":1}', 'garbage', 1_767_600_000));
});

test('deliveries retry with exponential backoff, are signed, and survive a restart', async () => {
  const received: Array<{ body: string; signature: string }> = [];
  let failures = 2;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ body, signature: String(req.headers[SIGNATURE_HEADER]) });
      res.statusCode = failures-- > 0 ? 500 : 204;
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
      secret: SECRET,
      kinds: ['raised' as const, 'escalated' as const],
      minSeverity: 'high' as const,
    },
  ];
  let notifier = new WebhookNotifier({ db, targets, clock: clock.read });
  try {
    await notifier.enqueue(); // starts reading the log from here
    for (let s = 0; s < 12; s++) {
      await engine.handleObservations([spo2('p-1', 82, clock.now)]);
      clock.advance(1000);
    }
    await notifier.run();
    assert.is(received.length, 1, 'first attempt (500)');
    await notifier.run();
    assert.is(received.length, 1, 'not due yet');
    clock.advance(1000);
    await notifier.run();
    assert.is(received.length, 2, 'second attempt after 1 s (500)');
    clock.advance(1999);
    await notifier.run();
    assert.is(received.length, 2, 'third attempt waits 2 s');
    clock.advance(1);
    await notifier.run();
    assert.is(received.length, 3, 'third attempt delivered');

    const payload = JSON.parse(received[2].body) as WebhookPayload;
    assert.equal(
      [payload.kind, payload.ruleId, payload.severity, payload.target],
      ['raised', 'spo2-low', 'high', 'nurse'],
    );
    assert.not.ok('explanation' in payload, 'no readings leave the hub');
    assert.ok(
      verifyWebhook(SECRET, received[2].body, received[2].signature, Math.floor(clock.now / 1000)),
    );
    assert.is(
      new Set(received.map((r) => (JSON.parse(r.body) as WebhookPayload).deliveryId)).size,
      1,
      'one delivery id across retries',
    );

    // An escalation is enqueued, then the hub stops before delivering it.
    clock.advance(60_000);
    await engine.tick();
    assert.is(await notifier.enqueue(), 1);
    await notifier.stop();
    notifier = new WebhookNotifier({ db, targets, clock: clock.read });
    await notifier.run();
    assert.is(received.length, 4);
    assert.equal(JSON.parse(received[3].body).target, 'charge-nurse');
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int8 as n from alerting.webhook_outbox`,
    );
    assert.is(rows[0]?.n, 2, 'nothing enqueued twice');
  } finally {
    await notifier.stop();
    await engine.close();
    await db.close();
    await scratch.drop();
    server.close();
  }
});

test.run();
