import { randomUUID } from 'node:crypto';

import {
  SignJWT,
  createLocalJWKSet,
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
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * The built-in IdP's ES256 signing keys: the newest signs, every kept key verifies and is
 * published at `/.well-known/jwks.json`. Keys persist in the keys directory (mode 0600).
 *
 * @example
 * ```ts
 * const keys = await SigningKeys.load('.data/keys');
 * const jwt = await keys.sign({ sub: 'u1' }, { issuer, audience, ttlSeconds: 300 });
 * ```
 */
export class SigningKeys {
  readonly #dir: string | undefined;
  #keys: StoredKey[];
  #verifier: JWTVerifyGetKey;

  private constructor(dir: string | undefined, keys: StoredKey[]) {
    this.#dir = dir;
    this.#keys = keys;
    this.#verifier = createLocalJWKSet(this.jwks());
  }

  /** Loads the keys from `dir` (creating the first on first start); in memory without one. */
  static async load(dir: string | undefined): Promise<SigningKeys> {
    const stored = dir === undefined ? undefined : await readJsonFile<StoredKey[]>(dir, FILE);
    const keys = new SigningKeys(dir, stored ?? []);
    if (keys.#keys.length === 0) {
      await keys.rotate();
    }

    return keys;
  }

  /** Makes a new signing key; the old ones keep verifying until `keep` newer keys exist. */
  async rotate(keep = 2): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG };
    const createdAt = new Date().toISOString();
    this.#keys = [{ kid, createdAt, privateJwk, publicJwk }, ...this.#keys].slice(0, keep + 1);
    this.#verifier = createLocalJWKSet(this.jwks());

    if (this.#dir !== undefined) {
      await writeJsonFile(this.#dir, FILE, this.#keys);
    }

    return kid;
  }

  /** The public JWK Set. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  /** The key resolver `jwtVerify` uses for tokens of this IdP. */
  get verifier(): JWTVerifyGetKey {
    return this.#verifier;
  }

  /** Signs `claims` as a JWT with the newest key. */
  async sign(
    claims: JWTPayload,
    options: { issuer: string; audience: string; ttlSeconds: number },
  ): Promise<string> {
    const current = this.#keys[0];
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
}
