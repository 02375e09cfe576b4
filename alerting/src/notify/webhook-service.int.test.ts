/**
 * gh-issues/5 (gap: the webhook notifier was never created, so escalations reached only the
 * console): the running service, configured with `webhook`, POSTs a signed escalation to a
 * real HTTP server.
 */
import { sealJson } from '@sparkden/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { spo2, TestClock } from '../alerts/test-fixtures.js';
import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent } from '../fleet/index.js';
import { createAlertingService } from '../service.js';
import { SIGNATURE_HEADER, verifyWebhook } from './signature.js';
import type { WebhookPayload } from './webhook-notifier.js';

const SECRET = 'webhook-secret-of-at-least-16-chars';

interface Received {
  payload: WebhookPayload;
  body: string;
  signature: string;
}

test('an escalated alert reaches a real HTTP receiver, signed, from the running service', async () => {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const signature = String(req.headers[SIGNATURE_HEADER]);
      received.push({ payload: JSON.parse(body) as WebhookPayload, body, signature });
      res.statusCode = 204;
      res.end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/escalations`;
  const scratch = await createScratchDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-webhook-'));
  const clock = new TestClock(Date.now());
  const service = await createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: { clock: clock.read, tickIntervalMs: 3_600_000 },
    webhook: { targets: [{ name: 'pager', url, secret: SECRET }], clock: clock.read },
    logger: pino({ enabled: false }),
  });
  const until = async (found: () => Received | undefined) => {
    for (;;) {
      const r = found();
      if (r !== undefined) {
        return r;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  try {
    await service.start();
    assert.ok(service.notifier, 'the service created the notifier');
    const agent = await enrollTestAgent(service.fleet);
    // SpO2 82 % for 11 s: `spo2-low` (high, urgent policy) fires, nurse first.
    const observations = [0, 5_000, 11_000].map((dt) => spo2('p-hook-1', 82, clock.now + dt));
    const body = { agentId: agent.agentId, seq: 1, sentAt: new Date().toISOString(), observations };
    const frame = sealJson(
      { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: 1n },
      body,
      agent.sealingKey,
    );
    const outcome = await service.ingest.handle({
      agentId: agent.agentId,
      kind: 'obs',
      payload: frame,
    });
    assert.is(outcome.status, 'acked');

    clock.advance(60_000);
    await service.engine!.tick();
    const escalated = await until(() =>
      received.find((r) => r.payload.kind === 'escalated' && r.payload.ruleId === 'spo2-low'),
    );

    assert.is(escalated.payload.target, 'charge-nurse');
    assert.is(escalated.payload.patientId, 'p-hook-1');
    assert.ok(
      verifyWebhook(SECRET, escalated.body, escalated.signature, Math.floor(clock.now / 1000)),
      'signed with the configured secret',
    );
    assert.not.ok(
      verifyWebhook(
        'another-secret-16-chars',
        escalated.body,
        escalated.signature,
        Math.floor(clock.now / 1000),
      ),
    );
    assert.ok(
      received.some((r) => r.payload.kind === 'raised' && r.payload.target === 'nurse'),
      'the raise went out too',
    );
  } finally {
    await service.stop();
    await scratch.drop();
    await rm(dataDir, { recursive: true, force: true });
    server.close();
  }
});

test('"webhook" without the engine is refused, naming the option', async () => {
  let error: unknown;
  try {
    await createAlertingService({
      dataDir: '/nonexistent',
      engine: false,
      webhook: { targets: [{ name: 'pager', url: 'http://127.0.0.1:1/', secret: SECRET }] },
    });
  } catch (e) {
    error = e;
  }

  assert.instance(error, TypeError);
  assert.match((error as Error).message, /"webhook"/);
});

test.run();
