import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { readJsonFile, writeJsonFile } from './secrets.js';
import { createKeyring, rotateKeyring, type FieldKeyring } from './field-cipher.js';

const FILE = 'field-keys.json';

interface StoredKeyring {
  active: string;
  keys: Record<string, string>;
  indexKey: string;
}

/**
 * Loads the field-encryption keyring from `dir` (creating it on first start); in memory
 * without a directory.
 *
 * @example
 * ```ts
 * const ring = await loadKeyring('.data/keys');
 * ```
 */
export async function loadKeyring(dir: string | undefined): Promise<FieldKeyring> {
  const stored = dir === undefined ? undefined : await readJsonFile<StoredKeyring>(dir, FILE);
  if (stored !== undefined) {
    return parseKeyring(stored);
  }

  const ring = createKeyring(`k-${randomBytes(4).toString('hex')}`);
  await saveKeyring(dir, ring);

  return ring;
}

/** Writes the keyring to `dir` (no-op without one). */
export async function saveKeyring(dir: string | undefined, ring: FieldKeyring): Promise<void> {
  if (dir === undefined) {
    return;
  }
  const keys = Object.fromEntries(
    Object.entries(ring.keys).map(([k, v]) => [k, v.toString('base64')]),
  );
  await writeJsonFile(dir, FILE, {
    active: ring.active,
    keys,
    indexKey: ring.indexKey.toString('base64'),
  });
}

/**
 * Adds a new active key and saves the ring. With a directory it starts from the ring on
 * disk, not `ring`, so that a key another process added is never dropped.
 */
export async function rotateKeyringFile(
  dir: string | undefined,
  ring: FieldKeyring,
): Promise<FieldKeyring> {
  const current = dir === undefined ? ring : await loadKeyring(dir);
  const next = rotateKeyring(current, `k-${randomBytes(4).toString('hex')}`);
  await saveKeyring(dir, next);

  return next;
}

function parseKeyring(stored: StoredKeyring): FieldKeyring {
  const keys = Object.fromEntries(
    Object.entries(stored.keys).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  );

  return { active: stored.active, keys, indexKey: Buffer.from(stored.indexKey, 'base64') };
}

/** Options of {@link createKeyringReloader}. */
export interface KeyringReloaderOptions {
  /** Least time between two looks at the file, in milliseconds (default 5000). */
  minIntervalMs?: number;
}

/**
 * Makes the `refresh` hook of a `FieldCipher` whose keyring lives in `dir`, shared with
 * other hubs: at most once per `minIntervalMs` it stats the file, and reads it only when
 * its inode, size or modification time changed. Returns the new ring, or `undefined` when
 * nothing changed or the interval has not passed. Synchronous, because sealing is.
 *
 * @example
 * ```ts
 * const cipher = new FieldCipher(ring, { refresh: createKeyringReloader('.data/keys') });
 * ```
 */
export function createKeyringReloader(
  dir: string,
  options: KeyringReloaderOptions = {},
): () => FieldKeyring | undefined {
  const minIntervalMs = options.minIntervalMs ?? 5000;
  if (!(minIntervalMs >= 0)) {
    throw new TypeError('"minIntervalMs" must be >= 0');
  }

  const path = join(dir, FILE);
  let checkedAt = -Infinity;
  let seen: string | undefined;

  return () => {
    const now = Date.now();
    if (now - checkedAt < minIntervalMs) {
      return undefined;
    }
    checkedAt = now;
    const stat = statSync(path, { throwIfNoEntry: false });
    const signature = stat && `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === undefined || signature === seen) {
      return undefined;
    }
    seen = signature;

    return parseKeyring(JSON.parse(readFileSync(path, 'utf8')) as StoredKeyring);
  };
}
