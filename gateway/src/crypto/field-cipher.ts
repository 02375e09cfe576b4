import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** A set of AES-256-GCM keys by id; `active` encrypts, every key decrypts. */
export interface FieldKeyring {
  active: string;
  keys: Record<string, Buffer>;
  /** The HMAC-SHA256 key of the search index; it does not rotate with the cipher keys. */
  indexKey: Buffer;
}

/** Raised when a sealed field cannot be opened (unknown key id, tampered bytes). */
export class FieldCipherError extends Error {
  readonly code: 'UNKNOWN_KEY' | 'CORRUPT';

  constructor(code: 'UNKNOWN_KEY' | 'CORRUPT', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FieldCipherError';
    this.code = code;
  }
}

const VERSION = 'v1';

/** Options of {@link FieldCipher}. */
export interface FieldCipherOptions {
  /**
   * Returns a newer keyring when the one on disk changed, else `undefined`; called before
   * failing on an unknown key id and before each seal. It rate-limits itself
   * (see `createKeyringReloader`).
   */
  refresh?: () => FieldKeyring | undefined;
}

/**
 * Encrypts identifying fields at rest (AES-256-GCM, a fresh 96-bit nonce per value, the
 * key id and a caller context bound as associated data) and derives keyed HMAC tokens so an
 * exact-match search still works without decrypting.
 *
 * @example
 * ```ts
 * const cipher = new FieldCipher(keyring);
 * const sealed = cipher.seal(JSON.stringify(names), 'Patient/p1');
 * const names2 = JSON.parse(cipher.open(sealed, 'Patient/p1'));
 * ```
 */
export class FieldCipher {
  #ring: FieldKeyring;
  readonly #refresh: (() => FieldKeyring | undefined) | undefined;

  constructor(ring: FieldKeyring, options: FieldCipherOptions = {}) {
    const active = ring.keys[ring.active];
    if (active?.length !== 32) {
      throw new TypeError('"active" must name a 32-byte key in "keys"');
    }

    this.#ring = ring;
    this.#refresh = options.refresh;
  }

  /** The keyring in use. */
  get ring(): FieldKeyring {
    return this.#ring;
  }

  /** Swaps in a rotated keyring; its index key must be the same. */
  replaceRing(ring: FieldKeyring): void {
    if (ring.keys[ring.active]?.length !== 32 || !ring.indexKey.equals(this.#ring.indexKey)) {
      throw new TypeError('"ring" must keep the index key and hold a 32-byte active key');
    }

    this.#ring = ring;
  }

  /** The id of the key new values are sealed with. */
  get activeKeyId(): string {
    return this.#ring.active;
  }

  /** Seals `plaintext`; the result is `v1.<kid>.<nonce>.<ciphertext+tag>` in base64url. */
  seal(plaintext: string, context: string): string {
    // Another process may have rotated the shared keyring: seal under its newest key.
    this.#reload();
    const kid = this.#ring.active;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#ring.keys[kid], nonce);
    cipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`));
    const body = Buffer.concat([
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);

    return [VERSION, kid, nonce.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a value sealed by {@link seal} under any key of the ring. */
  open(sealed: string, context: string): string {
    const [version, kid, nonce, body] = sealed.split('.');
    if (kid !== undefined && this.#ring.keys[kid] === undefined) {
      this.#reload();
    }
    const key = kid === undefined ? undefined : this.#ring.keys[kid];
    if (version !== VERSION || key === undefined || nonce === undefined || body === undefined) {
      throw new FieldCipherError('UNKNOWN_KEY', `no key for sealed field (kid ${kid ?? '?'})`);
    }

    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(`${VERSION}.${kid}.${context}`));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));

      return Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString();
    } catch (error) {
      throw new FieldCipherError('CORRUPT', 'sealed field failed authentication', { cause: error });
    }
  }

  #reload(): void {
    const next = this.#refresh?.();
    if (next !== undefined) {
      this.replaceRing(next);
    }
  }

  /** Whether `sealed` was made with a key other than the active one (needs re-sealing). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#ring.active;
  }

  /** A keyed, deterministic token for exact search: HMAC(indexKey, scope ‖ normalized value). */
  indexToken(scope: string, value: string): string {
    const normalized = value.normalize('NFKC').trim().toLowerCase();

    return createHmac('sha256', this.#ring.indexKey)
      .update(`${scope}\u0000${normalized}`)
      .digest('base64url')
      .slice(0, 32);
  }
}

/** Makes a new random keyring with one key. */
export function createKeyring(kid = 'k1'): FieldKeyring {
  return { active: kid, keys: { [kid]: randomBytes(32) }, indexKey: randomBytes(32) };
}

/** Adds a fresh key to `ring` and makes it active; old keys stay for decryption. */
export function rotateKeyring(ring: FieldKeyring, kid: string): FieldKeyring {
  if (ring.keys[kid] !== undefined) {
    throw new TypeError(`"kid" already exists: ${kid}`);
  }

  return { ...ring, active: kid, keys: { ...ring.keys, [kid]: randomBytes(32) } };
}
