import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reads the secret `name` from `dir`, creating it (random, mode 0600) on first use. With no
 * `dir` the secret lives only in memory, for tests and throw-away hubs.
 *
 * @example
 * ```ts
 * const auditKey = await loadOrCreateSecret('.data/keys', 'audit-hmac', 32);
 * ```
 */
export async function loadOrCreateSecret(
  dir: string | undefined,
  name: string,
  bytes: number,
): Promise<Buffer> {
  if (!/^[a-z0-9-]+$/.test(name)) {
    throw new TypeError(`"name" must be kebab-case: ${name}`);
  }

  if (dir === undefined) {
    return randomBytes(bytes);
  }

  const path = join(dir, `${name}.key`);
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(bytes);
  await writeFile(path, secret.toString('base64'), { mode: 0o600, flag: 'wx' });

  return secret;
}

/** Raised when a secret that must already exist (the audit key, for verification) does not. */
export class MissingSecretError extends Error {
  readonly code = 'MISSING_SECRET';

  constructor(path: string) {
    super(`secret not found: ${path}`);
    this.name = 'MissingSecretError';
  }
}

/**
 * Reads the existing secret `name` from `dir`, never creating one: a verifier that made up
 * a fresh key would only report that nothing matches it.
 *
 * @throws {MissingSecretError} when the file does not exist.
 * @example
 * ```ts
 * const auditKey = await loadSecret('.data/keys', 'audit-hmac');
 * ```
 */
export async function loadSecret(dir: string, name: string): Promise<Buffer> {
  if (!/^[a-z0-9-]+$/.test(name)) {
    throw new TypeError(`"name" must be kebab-case: ${name}`);
  }

  const path = join(dir, `${name}.key`);
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MissingSecretError(path);
    }
    throw error;
  }
}

/** Reads a JSON document kept beside the secrets, or `undefined` when it does not exist. */
export async function readJsonFile<T>(dir: string, name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, name), 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

/**
 * Writes a JSON document beside the secrets (mode 0600). It writes a temporary file and
 * renames it over the old one, so a hub reading the shared directory meanwhile sees the old
 * document or the new one, never half of one.
 */
export async function writeJsonFile(dir: string, name: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temporary, JSON.stringify(value, null, 2), { mode: 0o600, flag: 'wx' });
  await rename(temporary, join(dir, name));
}
