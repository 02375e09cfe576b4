import { generateSealingKeyPair, type SealingKeyPair } from '@sparkden/protocol';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { readOptional } from '../pki/pem.js';
import { parseHubKeyJwk, writeHubKeyJwk } from './hub-sealing-key.js';

/** Options of {@link HubKeyring.open}. */
export interface HubKeyringOptions {
  /** Version 1: the key made at first start (`hub-sealing.jwk`). */
  first: SealingKeyPair;
  /** The keys folder; without it, new versions live in memory only (tests). */
  dir?: string;
}

const VERSION_FILE = /^hub-sealing\.v([1-9][0-9]{0,8})\.jwk$/;

function fileOf(version: number): string {
  return version === 1 ? 'hub-sealing.jwk' : `hub-sealing.v${version}.jwk`;
}

/**
 * The hub's X25519 sealing key pairs by version. A sealing key id is the version of the hub
 * key it was agreed with, so a rotation makes version n+1 (`hub-sealing.v<n+1>.jwk`, 0600,
 * beside the first) and agents move to it one by one. Versions no agent uses any more are
 * deleted, so a retired key cannot be recovered from the disk.
 *
 * @example
 * ```ts
 * const keyring = await HubKeyring.open({ first: hubKey, dir: '.data/keys' });
 * const { version, publicKey } = await keyring.create();
 * ```
 */
export class HubKeyring {
  readonly #dir?: string;
  readonly #pairs = new Map<number, SealingKeyPair>();

  private constructor(options: HubKeyringOptions) {
    this.#dir = options.dir;
    this.#pairs.set(1, options.first);
  }

  /** Loads every stored version from `dir`. */
  static async open(options: HubKeyringOptions): Promise<HubKeyring> {
    const ring = new HubKeyring(options);
    await ring.reload();

    return ring;
  }

  /** Reads versions another hub process may have written to the shared folder. */
  async reload(): Promise<void> {
    if (this.#dir === undefined) {
      return;
    }
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    for (const name of names) {
      const version = Number(VERSION_FILE.exec(name)?.[1] ?? 0);
      if (version > 1 && !this.#pairs.has(version)) {
        const path = join(this.#dir, name);
        const text = await readOptional(path);
        if (text !== undefined) {
          this.#pairs.set(version, parseHubKeyJwk(text, path));
        }
      }
    }
  }

  /** The newest version. */
  get latest(): number {
    return Math.max(...this.#pairs.keys());
  }

  /** The key pair of a version, or `undefined` when it is unknown or deleted. */
  get(version: number): SealingKeyPair | undefined {
    return this.#pairs.get(version);
  }

  /** Makes version `latest + 1`, written to disk (0600) before it is used. */
  async create(): Promise<{ version: number; publicKey: Uint8Array }> {
    const version = this.latest + 1;
    const pair = generateSealingKeyPair();
    if (this.#dir !== undefined) {
      await writeHubKeyJwk(join(this.#dir, fileOf(version)), pair);
    }
    this.#pairs.set(version, pair);

    return { version, publicKey: pair.publicKey };
  }

  /**
   * Deletes the versions not in `inUse` (the newest and version 1's file are kept: the
   * first key's file is what a fresh start loads).
   *
   * @returns The versions deleted.
   */
  async prune(inUse: ReadonlySet<number>): Promise<number[]> {
    const latest = this.latest;
    const gone: number[] = [];
    for (const version of [...this.#pairs.keys()]) {
      if (version === 1 || version === latest || inUse.has(version)) {
        continue;
      }
      if (this.#dir !== undefined) {
        await unlink(join(this.#dir, fileOf(version))).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') {
            throw error;
          }
        });
      }
      this.#pairs.delete(version);
      gone.push(version);
    }

    return gone;
  }
}
