import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  findWorkerBinary,
  installedMediasoupVersion,
  patchStamp,
  workerCacheDir,
} from './worker-binary.js';

// A fake cache: a "binary", VERIFIED, and a PATCHED stamp, as build-worker.sh leaves them.
function fakeCache(stamp: string | null): { env: NodeJS.ProcessEnv; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'sd-worker-cache-'));
  const env = { SPARKDEN_CACHE_DIR: root };
  const dir = workerCacheDir(installedMediasoupVersion(), env);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mediasoup-worker'), '');
  writeFileSync(join(dir, 'VERIFIED'), '2026-01-01T00:00:00Z\n');
  if (stamp !== null) {
    writeFileSync(join(dir, 'PATCHED'), `${stamp}\n`);
  }

  return { env, root };
}

test('a cached worker with the current patch stamp is used', () => {
  const { env, root } = fakeCache(patchStamp());

  const bin = findWorkerBinary(env);

  rmSync(root, { recursive: true });
  assert.ok(bin.available);
});

test('a cached worker built by another patch script is not used', () => {
  const { env, root } = fakeCache('0000000000000000');

  const bin = findWorkerBinary(env);

  rmSync(root, { recursive: true });
  assert.not.ok(bin.available);
  assert.match(bin.available ? '' : bin.reason, /older patch script.*build-worker\.sh/);
});

test('a cached worker with no stamp is not used', () => {
  const { env, root } = fakeCache(null);

  const bin = findWorkerBinary(env);

  rmSync(root, { recursive: true });
  assert.not.ok(bin.available);
});

test('the stamp is 16 hex digits, as the build script cuts it', () => {
  assert.match(patchStamp(), /^[0-9a-f]{16}$/);
});

test.run();
