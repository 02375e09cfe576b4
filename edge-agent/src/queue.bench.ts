/**
 * Readings accepted per second by the durable queue (seal, SQLite WAL insert, fsync at
 * commit) beside a bare fsynced append of the same sealed bytes to a file on the same disk,
 * measured in the same run. One commit per reading, and group commits of 100 readings as the
 * agent does every 20 ms under load.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createObservation, sealJson } from '@sparkden/protocol';

import { PRIORITY, SealedQueue } from './queue/sealed-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'sd-queue-bench-'));
const key = new Uint8Array(32).fill(3);
const device = { id: 'oxi-1', model: 'contec-cms50d', transport: 'serial' as const };
const readings = Array.from({ length: 100 }, (_, i) =>
  createObservation({ patient: 'p-1', device, code: 'spo2', value: 90 + (i % 10) }),
);
let nextId = 1;

function measure(fn: () => number, ms: number): number {
  const until = performance.now() + ms;
  const started = performance.now();
  let n = 0;
  while (performance.now() < until) {
    n += fn();
  }

  return (n * 1000) / (performance.now() - started);
}

function ours(group: number, ms: number): number {
  const queue = new SealedQueue({
    path: join(dir, `q-${group}.db`),
    agentId: 'bench',
    key,
    nextId: () => nextId++,
    maxBytes: 2 ** 40,
    maxAgeMs: 3_600_000,
    overflow: 'drop-oldest',
  });
  const items = readings.slice(0, group);
  const rate = measure(() => {
    queue.append([{ kind: 'obs', priority: PRIORITY.bulk, items }]);

    return group;
  }, ms);
  queue.close();

  return rate;
}

function bareAppend(group: number, ms: number): number {
  const items = readings.slice(0, group);
  // The same sealed bytes the queue writes; sealing happens inside the loop for both.
  const fd = openSync(join(dir, `append-${group}.log`), 'a');
  const rate = measure(() => {
    const frame = sealJson(
      { kind: 'obs', keyId: 0, agentId: 'bench', seq: BigInt(nextId++) },
      items,
      key,
    );
    const len = Buffer.alloc(4);
    len.writeUInt32BE(frame.length);
    writeSync(fd, len);
    writeSync(fd, frame);
    fsyncSync(fd);

    return group;
  }, ms);
  closeSync(fd);

  return rate;
}

try {
  for (const group of [1, 100]) {
    ours(group, 300);
    const q = ours(group, 3000);
    const a = bareAppend(group, 3000);
    console.log(
      `durable queue, ${String(group).padStart(3)} reading(s)/commit: ours ${q.toFixed(0)} readings/s, ` +
        `bare fsynced append ${a.toFixed(0)} readings/s, ratio ${(q / a).toFixed(2)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
