import type { Observation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AgentError } from '../errors.js';
import { createLogger } from '../log.js';
import { GroupCommit } from './group-commit.js';
import type { AppendGroup, SealedQueue } from './sealed-queue.js';

/** A queue whose disk can be filled and emptied; it keeps what it was given. */
function fakeQueue() {
  const state = { full: false, written: [] as unknown[] };
  const queue = {
    append(groups: readonly AppendGroup[]): number {
      if (state.full) {
        throw new AgentError('DISK_FULL', 'no space left for the queue');
      }
      groups.forEach((g) => state.written.push(...g.items));

      return 0;
    },
  } as unknown as SealedQueue;

  return { state, queue };
}

const reading = (i: number) => ({ id: `r-${i}`, value: i }) as unknown as Observation;

function setUp() {
  const { state, queue } = fakeQueue();
  const counted = { accepted: 0 };
  const writes = new GroupCommit({
    queue,
    log: createLogger({ level: 'silent' }),
    onCommitted: () => undefined,
    onBackpressure: () => undefined,
    onDiskFull: () => undefined,
    onReadingsTaken: (n) => {
      counted.accepted += n;
    },
  });

  return { state, writes, counted };
}

test('a reading is taken (and counted) when it is committed, not when it is pushed', () => {
  const { writes, counted } = setUp();
  const taken: number[] = [];
  writes.pushObs(reading(1), () => taken.push(1));
  writes.pushUrgent(reading(2), () => taken.push(2));

  assert.equal(taken, []);
  assert.is(counted.accepted, 0);
  assert.ok(writes.flush());
  assert.equal(taken.sort(), [1, 2]);
  assert.is(counted.accepted, 2);
});

test('disk full: readings held in memory are neither taken nor counted until written', () => {
  const { state, writes, counted } = setUp();
  const taken: number[] = [];
  state.full = true;
  writes.pushObs(reading(1), () => taken.push(1));

  assert.not.ok(writes.flush());
  assert.equal(taken, []);
  assert.is(counted.accepted, 0);
  assert.is(writes.size, 1);

  state.full = false;
  assert.ok(writes.flush());
  assert.equal(taken, [1]);
  assert.is(counted.accepted, 1);
  assert.is(state.written.length, 1);
});

test('a discarded reading is never taken', () => {
  const { writes, counted } = setUp();
  const taken: number[] = [];
  const obs = reading(1);
  writes.pushObs(obs, () => taken.push(1));
  writes.discard(new Set([obs]));

  writes.flush();
  assert.equal(taken, []);
  assert.is(counted.accepted, 0);
});

test.run();
