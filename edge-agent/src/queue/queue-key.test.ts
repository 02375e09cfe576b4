import { hkdfSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { STATE_FILES, type Credentials } from '../state-dir.js';
import { loadQueueKey } from './queue-key.js';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-qkey-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const credentials = (agentId: string, fill: number) =>
  ({ agentId, sealingPrivateKey: new Uint8Array(32).fill(fill) }) as Credentials;

test('a new state dir gets a random key, 0600, kept across a re-enrollment', () => {
  const first = loadQueueKey(dir, credentials('agent-1', 1));
  const mode = statSync(join(dir, STATE_FILES.queueKey)).mode & 0o777;
  const after = loadQueueKey(dir, credentials('agent-2', 2));

  assert.is(mode, 0o600);
  assert.equal(after.key, first.key);
  assert.is(after.recordAgentId, 'agent-1');
});

test('a queue from before the key file keeps the key its records were sealed with', () => {
  writeFileSync(join(dir, STATE_FILES.queue), '');
  const c = credentials('agent-1', 3);
  const legacy = hkdfSync(
    'sha256',
    c.sealingPrivateKey,
    'sparkden/v1/queue-at-rest',
    'agent-1',
    32,
  );

  const migrated = loadQueueKey(dir, c);
  const later = loadQueueKey(dir, credentials('agent-9', 4));

  assert.equal(migrated.key, new Uint8Array(legacy));
  assert.equal(later.key, migrated.key);
});

test('a damaged key file is an error, never a new key', () => {
  writeFileSync(join(dir, STATE_FILES.queueKey), '{"version":1,"key":"short"}');

  try {
    loadQueueKey(dir, credentials('agent-1', 1));
    assert.unreachable('a key from a damaged file');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'STATE_UNREADABLE');
  }
});

test.run();
