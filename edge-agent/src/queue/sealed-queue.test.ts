import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { PRIORITY, SealedQueue, type SealedQueueOptions } from './sealed-queue.js';
import { SeqCounter } from './seq-counter.js';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-queue-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

function open(over: Partial<SealedQueueOptions> = {}): SealedQueue {
  const seq = new SeqCounter({ path: join(dir, 'seq') });

  return new SealedQueue({
    path: join(dir, 'queue.db'),
    agentId: 'agent-1',
    key: new Uint8Array(32).fill(7),
    nextId: () => seq.next(),
    maxBytes: 10_000_000,
    maxAgeMs: 3_600_000,
    overflow: 'drop-oldest',
    ...over,
  });
}

const reading = (i: number) => ({ id: `r-${i}`, patient: 'p-secret-name', value: 97 });

test('records come back in send order: alarms, urgent, bulk', () => {
  const q = open();
  q.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [reading(1)] }]);
  q.append([{ kind: 'obs', priority: PRIORITY.urgent, items: [reading(2)] }]);
  q.append([{ kind: 'alarm', priority: PRIORITY.alarm, items: [{ id: 'a-1' }] }]);

  assert.equal(
    q.take('alarm', 10).map((r) => r.items),
    [[{ id: 'a-1' }]],
  );
  assert.equal(
    q.take('obs', 10).map((r) => (r.items[0] as { id: string }).id),
    ['r-2', 'r-1'],
  );
  assert.is(q.stats().depth, 3);
  q.close();
});

test('nothing readable is on disk: the file holds only sealed bytes', () => {
  const q = open();
  q.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [reading(1)] }]);
  q.close();

  const raw = Buffer.concat([
    readFileSync(join(dir, 'queue.db')),
    readFileSync(join(dir, 'queue.db-wal'), { flag: 'a+' }),
  ]);
  assert.not.ok(raw.includes('p-secret-name'));
  assert.not.ok(raw.includes('r-1'));
});

test('drop-oldest drops the oldest bulk and never an alarm or urgent reading', () => {
  const q = open({ maxBytes: 3000 });
  q.append([
    { kind: 'alarm', priority: PRIORITY.alarm, items: [{ id: 'a', pad: 'x'.repeat(900) }] },
  ]);
  q.append([
    { kind: 'obs', priority: PRIORITY.urgent, items: [{ ...reading(0), pad: 'x'.repeat(900) }] },
  ]);
  for (let i = 1; i <= 5; i++) {
    q.append([
      { kind: 'obs', priority: PRIORITY.bulk, items: [{ ...reading(i), pad: 'x'.repeat(300) }] },
    ]);
  }

  const left = q.take('obs', 10).map((r) => (r.items[0] as { id: string }).id);
  assert.ok(left.includes('r-0'), 'urgent kept');
  assert.ok(left.includes('r-5'), 'newest kept');
  assert.not.ok(left.includes('r-1'), 'oldest bulk dropped');
  assert.is(q.take('alarm', 10).length, 1);
  assert.ok(q.stats().dropped > 0);
  q.close();
});

test('drop-newest refuses new bulk readings but still takes alarms', () => {
  const q = open({ maxBytes: 1500, overflow: 'drop-newest' });
  q.append([
    { kind: 'obs', priority: PRIORITY.bulk, items: [{ ...reading(1), pad: 'x'.repeat(1000) }] },
  ]);
  const refused = q.append([
    { kind: 'obs', priority: PRIORITY.bulk, items: [{ ...reading(2), pad: 'x'.repeat(1000) }] },
    { kind: 'alarm', priority: PRIORITY.alarm, items: [{ id: 'a' }] },
  ]);

  assert.is(refused, 1);
  assert.equal(
    q.take('obs', 10).map((r) => (r.items[0] as { id: string }).id),
    ['r-1'],
  );
  assert.is(q.take('alarm', 10).length, 1);
  q.close();
});

test('readings past the age bound are dropped; alarms are kept', () => {
  const q = open({ maxAgeMs: 1 });
  q.append([
    { kind: 'obs', priority: PRIORITY.bulk, items: [reading(1)] },
    { kind: 'alarm', priority: PRIORITY.alarm, items: [{ id: 'a' }] },
  ]);
  const until = Date.now() + 5;
  while (Date.now() < until) {
    // wait past the bound
  }
  q.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [reading(2)] }]);

  assert.equal(
    q.take('obs', 10).map((r) => (r.items[0] as { id: string }).id),
    ['r-2'],
  );
  assert.is(q.take('alarm', 10).length, 1);
  q.close();
});

test('the cursor is committed with the records and survives a reopen', () => {
  const q = open();
  q.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [reading(1)] }], {
    'device:oxi-1': '42',
  });
  q.close();

  const again = open();
  assert.is(again.getCursor('device:oxi-1'), '42');
  assert.is(again.stats().depth, 1);
  again.close();
});

test('a record opened under another key is quarantined, not returned', () => {
  const q = open();
  q.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [reading(1)] }]);
  q.close();

  const other = open({ key: randomBytes(32) });
  assert.equal(other.take('obs', 10), []);
  assert.is(other.stats().quarantined, 1);
  assert.is(other.stats().depth, 0);
  other.close();
});

test('a page limit makes a write fail as DISK_FULL with nothing half-written', () => {
  const q = open({ maxPages: 12 });
  let failed: unknown;
  let n = 0;
  for (; n < 200 && failed === undefined; n++) {
    try {
      q.append([
        {
          kind: 'obs',
          priority: PRIORITY.bulk,
          items: [{ ...reading(n), pad: randomBytes(2000).toString('hex') }],
        },
      ]);
    } catch (error) {
      failed = error;
    }
  }
  assert.is((failed as { code?: string }).code, 'DISK_FULL');
  assert.is(q.stats().depth, n - 1);
  q.close();
});

test('sequence numbers never repeat across restarts', () => {
  const a = new SeqCounter({ path: join(dir, 'seq'), block: 3 });
  const first = [a.next(), a.next(), a.next(), a.next()];
  const b = new SeqCounter({ path: join(dir, 'seq'), block: 3 });
  const next = b.next();

  assert.equal(first, [1, 2, 3, 4]);
  assert.ok(next > 4);
});

test.run();
