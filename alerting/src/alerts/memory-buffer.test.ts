import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { DeviceSeen } from '../rules/stale.js';
import type { Reading } from '../rules/types.js';
import { MemoryBuffer, type MemoryWriter } from './memory-buffer.js';
import type { Remembered } from './rule-memory.js';

function weight(id: string, value: number, at: number): Reading {
  return {
    observationId: id,
    patientId: 'p-1',
    deviceId: 'scale-1',
    code: 'body-weight',
    value,
    unit: 'kg',
    at,
    quality: [],
    interpretation: [],
  };
}

/** A writer whose next `failures` writes throw, as a database that is down would. */
function flakyWriter(failures: number) {
  const written: Remembered[] = [];
  const touched: DeviceSeen[] = [];
  const writer: MemoryWriter = {
    touchDevices: (seen) => {
      touched.push(...seen);

      return Promise.resolve();
    },
    remember: (items) => {
      if (failures-- > 0) {
        return Promise.reject(new Error('connection terminated'));
      }
      written.push(...items);

      return Promise.resolve();
    },
    prune: () => Promise.resolve(),
  };

  return { writer, written, touched };
}

const trend = new Set(['body-weight']);
const device = (lastAt: number): DeviceSeen => ({
  deviceId: 'scale-1',
  patientId: 'p-1',
  codes: ['body-weight'],
  lastAt,
});

// Regression: flush() emptied its buffers before writing, so a failed write lost the
// trend samples a weight-gain rule needs after a restart.
test('a failed flush keeps its trend samples for the next flush', async () => {
  const { writer, written } = flakyWriter(1);
  const buffer = new MemoryBuffer(writer);
  buffer.note([device(1000)], [weight('o-1', 80, 1000)], () => false, trend);

  await buffer.flush(0, []).then(
    () => assert.unreachable('the write fails'),
    (e: unknown) => assert.instance(e, Error),
  );
  buffer.note([device(2000)], [weight('o-2', 80.4, 2000)], () => false, trend);
  await buffer.flush(0, []);

  assert.equal(written.map((m) => [m.kind, m.reading.observationId]).sort(), [
    ['sample', 'o-1'],
    ['sample', 'o-2'],
  ]);
});

test('a sample noted again after a failed flush is written once, as noted last', async () => {
  const { writer, written, touched } = flakyWriter(1);
  const buffer = new MemoryBuffer(writer);
  const isLatest = () => true;
  buffer.note([device(1000)], [weight('o-1', 80, 1000)], isLatest, new Set());
  await buffer.flush(0, []).catch(() => undefined);
  buffer.note([device(2000)], [weight('o-2', 81, 2000)], isLatest, new Set());

  await buffer.flush(0, []);

  assert.equal(
    written.map((m) => [m.kind, m.reading.observationId]),
    [['latest', 'o-2']],
  );
  assert.equal(
    touched.map((d) => d.lastAt),
    [1000, 2000],
  );
});

test.run();
