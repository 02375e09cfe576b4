import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { SeqCounter } from './seq-counter.js';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-seq-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('a missing file starts the sequence from the beginning', () => {
  const seq = new SeqCounter({ path: join(dir, 'seq') });

  assert.is(seq.next(), 1);
});

test('a file that exists but cannot be read is an error, not a fresh start', () => {
  const path = join(dir, 'seq');
  mkdirSync(path);

  try {
    new SeqCounter({ path });
    assert.unreachable('a fresh counter over an unreadable file');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'STATE_UNREADABLE');
  }
});

test.run();
