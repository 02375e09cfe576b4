import { randomBytes } from 'node:crypto';

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
    const keys = Object.fromEntries(
      Object.entries(stored.keys).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    );

    return { active: stored.active, keys, indexKey: Buffer.from(stored.indexKey, 'base64') };
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

/** Adds a new active key and saves the ring. */
export async function rotateKeyringFile(
  dir: string | undefined,
  ring: FieldKeyring,
): Promise<FieldKeyring> {
  const next = rotateKeyring(ring, `k-${randomBytes(4).toString('hex')}`);
  await saveKeyring(dir, next);

  return next;
}
