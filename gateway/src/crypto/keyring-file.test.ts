import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createKeyringReloader, loadKeyring, rotateKeyringFile } from './keyring-file.js';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-keyring-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('the reloader returns the ring another process rotated, once per change', async () => {
  const ring = await loadKeyring(dir);
  const reload = createKeyringReloader(dir, { minIntervalMs: 0 });
  assert.is(reload()?.active, ring.active, 'the first look reads the file');
  assert.is(reload(), undefined, 'unchanged file, nothing to load');

  const rotated = await rotateKeyringFile(dir, ring);

  const next = reload();
  assert.is(next?.active, rotated.active);
  assert.equal(Object.keys(next?.keys ?? {}).sort(), [ring.active, rotated.active].sort());
  assert.is(reload(), undefined);
});

test('the reloader looks at the file at most once per interval', async () => {
  const ring = await loadKeyring(dir);
  const reload = createKeyringReloader(dir, { minIntervalMs: 3_600_000 });
  assert.ok(reload());

  await rotateKeyringFile(dir, ring);

  assert.is(reload(), undefined, 'inside the interval the change is not read yet');
});

test('rotating from a stale ring keeps the keys another process added', async () => {
  const stale = await loadKeyring(dir);
  const other = await rotateKeyringFile(dir, stale);

  const mine = await rotateKeyringFile(dir, stale);

  assert.ok(mine.keys[other.active], 'the other process key is kept');
  assert.equal(await loadKeyring(dir), mine);
});

test('a negative interval is refused', () => {
  assert.throws(() => createKeyringReloader(dir, { minIntervalMs: -1 }), /minIntervalMs/);
});

test.run();
