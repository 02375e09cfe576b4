import type { RelayedVisitEvent, VisitEvent } from '@sparkden/sfu';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { VisitRecordOutbox } from './visit-outbox.js';

const logger = pino({ level: 'silent' });

function joined(appointmentId: string, userId: string): RelayedVisitEvent {
  const event: VisitEvent = {
    type: 'joined',
    appointmentId,
    userId,
    role: 'patient',
    at: new Date(0).toISOString(),
  };

  return { kind: 'visit', event };
}

const userOf = (b: RelayedVisitEvent) => (b.event as { userId: string }).userId;

async function until(done: () => boolean): Promise<void> {
  while (!done()) {
    await new Promise((r) => setImmediate(r));
  }
}

test('a failing record is retried until written, and the visit keeps its order', async () => {
  const written: string[] = [];
  let failures = 3;
  const outbox = new VisitRecordOutbox({
    logger,
    retryMs: 1,
    handle: (b) => {
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new Error('database unavailable'));
      }
      written.push(userOf(b));
      return Promise.resolve();
    },
  });

  outbox.deliver(joined('apt-1', 'u1'));
  outbox.deliver(joined('apt-1', 'u2'));
  outbox.deliver(joined('apt-1', 'u3'));
  await until(() => written.length === 3);

  assert.equal(written, ['u1', 'u2', 'u3']);
  assert.is(outbox.pending, 0);
  outbox.stop();
});

test('one visit waiting on a failed record does not hold up another', async () => {
  const written: string[] = [];
  const outbox = new VisitRecordOutbox({
    logger,
    retryMs: 60_000,
    handle: (b) =>
      b.event.appointmentId === 'apt-stuck'
        ? Promise.reject(new Error('ledger down'))
        : Promise.resolve(void written.push(userOf(b))),
  });

  outbox.deliver(joined('apt-stuck', 'u1'));
  outbox.deliver(joined('apt-ok', 'u2'));
  await until(() => written.length === 1);

  assert.equal(written, ['u2']);
  assert.is(outbox.pending, 1, 'the failed record is still held');
  outbox.stop();
});

test('with a stream, a failed visit goes to the stream in order, later events after it', async () => {
  const published: string[] = [];
  const outbox = new VisitRecordOutbox({
    logger,
    handle: () => Promise.reject(new Error('audit trail down')),
    publisher: {
      publish: (b) => Promise.resolve(String(published.push(userOf(b)))),
    },
  });

  outbox.deliver(joined('apt-2', 'u1'));
  outbox.deliver(joined('apt-2', 'u2'));
  await until(() => published.length === 2);
  outbox.deliver(joined('apt-2', 'u3'));
  await until(() => published.length === 3);

  assert.equal(published, ['u1', 'u2', 'u3']);
  outbox.stop();
});

test('after stop, delivering is an InvalidStateError', () => {
  const outbox = new VisitRecordOutbox({ logger, handle: () => Promise.resolve() });
  outbox.stop();

  assert.throws(
    () => outbox.deliver(joined('apt-3', 'u1')),
    (e: { code?: string }) => e.code === 'INVALID_STATE',
  );
});

test.run();
