import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import {
  SignJWT,
  createLocalJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

import { readJsonFile, writeJsonFile } from '../crypto/secrets.js';

const ALG = 'ES256';
const FILE = 'signing-keys.json';

interface StoredKey {
  kid: string;
  createdAt: string;
  /** When the key starts signing (ISO 8601); until then it only verifies. Absent: at once. */
  activateAt?: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Options of {@link SigningKeys.load}. */
export interface SigningKeysOptions {
  /** Least time between two looks at the shared key file, in milliseconds (default 5000). */
  reloadIntervalMs?: number;
}

/** Options of {@link SigningKeys.rotate}. */
export interface RotateOptions {
  /** Milliseconds before the new key signs; it verifies (and is in the JWKS) at once. */
  activateInMs?: number;
  /** Earlier keys kept for verification behind the signing key (default 2). */
  keep?: number;
}

/**
 * The built-in IdP's ES256 signing keys: the newest active key signs, every kept key
 * verifies and is published at `/.well-known/jwks.json`. A key can be published before it
 * signs (`activateAt`), so that every hub sharing the key file verifies it before any hub
 * signs with it. Keys persist in the keys directory (mode 0600); a hub re-reads the file,
 * at most once per `reloadIntervalMs` and only when it changed, when it meets an unknown
 * `kid`, when it signs and when it serves the JWKS.
 *
 * @example
 * ```ts
 * const keys = await SigningKeys.load('.data/keys');
 * const jwt = await keys.sign({ sub: 'u1' }, { issuer, audience, ttlSeconds: 300 });
 * ```
 */
export class SigningKeys {
  readonly #dir: string | undefined;
  readonly #reloadIntervalMs: number;
  #keys: StoredKey[];
  #local: JWTVerifyGetKey;
  #checkedAt = -Infinity;
  #seen: string | undefined;

  private constructor(dir: string | undefined, keys: StoredKey[], reloadIntervalMs: number) {
    this.#dir = dir;
    this.#keys = keys;
    this.#reloadIntervalMs = reloadIntervalMs;
    this.#local = createLocalJWKSet(this.#publicSet());
  }

  /** Loads the keys from `dir` (creating the first on first start); in memory without one. */
  static async load(
    dir: string | undefined,
    options: SigningKeysOptions = {},
  ): Promise<SigningKeys> {
    const reloadIntervalMs = options.reloadIntervalMs ?? 5000;
    if (!(reloadIntervalMs >= 0)) {
      throw new TypeError('"reloadIntervalMs" must be >= 0');
    }

    const stored = dir === undefined ? undefined : await readJsonFile<StoredKey[]>(dir, FILE);
    const keys = new SigningKeys(dir, stored ?? [], reloadIntervalMs);
    if (keys.#keys.length === 0) {
      await keys.rotate();
    }

    return keys;
  }

  /**
   * Makes a new key, published at once and signing after `activateInMs`; earlier keys keep
   * verifying until `keep` newer ones stand behind the signing key. Returns the new `kid`.
   */
  async rotate(options: RotateOptions = {}): Promise<string> {
    const { activateInMs = 0, keep = 2 } = options;
    if (!(activateInMs >= 0) || !(keep >= 0)) {
      throw new TypeError('"activateInMs" and "keep" must be >= 0');
    }

    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
    const now = Date.now();
    const createdAt = new Date(now).toISOString();
    const activateAt = activateInMs > 0 ? new Date(now + activateInMs).toISOString() : undefined;
    const keys = [{ kid, createdAt, activateAt, privateJwk, publicJwk }, ...this.#keys];
    const signer = keys.indexOf(signingKeyOf(keys, now));
    await this.#save(keys.slice(0, signer + 1 + keep));

    return kid;
  }

  /** Makes every published key that is not signing yet active now; returns the newest. */
  async activate(): Promise<string | undefined> {
    const now = Date.now();
    const pending = this.#keys.filter((k) => !isActive(k, now));
    if (pending.length === 0) {
      return undefined;
    }

    const at = new Date(now).toISOString();
    await this.#save(this.#keys.map((k) => (isActive(k, now) ? k : { ...k, activateAt: at })));

    return pending[0]?.kid;
  }

  /** The public JWK Set: every kept key, whether it signs yet or not. */
  jwks(): { keys: JWK[] } {
    this.#reload();

    return this.#publicSet();
  }

  /** The key resolver `jwtVerify` uses for tokens of this IdP. */
  get verifier(): JWTVerifyGetKey {
    return async (header, token) => {
      try {
        return await this.#local(header, token);
      } catch (error) {
        // A hub that rotated the shared file may already sign with a key this one has not read.
        if (!(error instanceof errors.JWKSNoMatchingKey) || !this.#reload()) {
          throw error;
        }

        return this.#local(header, token);
      }
    };
  }

  /** Signs `claims` as a JWT with the newest active key. */
  async sign(
    claims: JWTPayload,
    options: { issuer: string; audience: string; ttlSeconds: number },
  ): Promise<string> {
    this.#reload();
    const current = signingKeyOf(this.#keys, Date.now());
    const key = await importJWK(current.privateJwk, ALG);

    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: current.kid, typ: 'at+jwt' })
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds)
      .sign(key);
  }

  #publicSet(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  async #save(keys: StoredKey[]): Promise<void> {
    this.#keys = keys;
    this.#local = createLocalJWKSet(this.#publicSet());
    if (this.#dir !== undefined) {
      await writeJsonFile(this.#dir, FILE, keys);
    }
  }

  // Re-reads the shared file when it changed, at most once per interval; true if it did.
  #reload(): boolean {
    const now = Date.now();
    if (this.#dir === undefined || now - this.#checkedAt < this.#reloadIntervalMs) {
      return false;
    }
    this.#checkedAt = now;
    const path = join(this.#dir, FILE);
    const stat = statSync(path, { throwIfNoEntry: false });
    const signature = stat && `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (signature === undefined || signature === this.#seen) {
      return false;
    }

    const keys = JSON.parse(readFileSync(path, 'utf8')) as StoredKey[];
    this.#seen = signature;
    if (keys.length === 0) {
      return false;
    }
    this.#keys = keys;
    this.#local = createLocalJWKSet(this.#publicSet());

    return true;
  }
}

function isActive(key: StoredKey, now: number): boolean {
  return key.activateAt === undefined || Date.parse(key.activateAt) <= now;
}

// The newest key already active; the oldest kept key if none is (never expected).
function signingKeyOf(keys: StoredKey[], now: number): StoredKey {
  return keys.find((k) => isActive(k, now)) ?? keys[keys.length - 1];
}
