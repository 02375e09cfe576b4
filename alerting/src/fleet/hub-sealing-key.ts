import { generateSealingKeyPair, type SealingKeyPair } from '@sparkden/protocol';
import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';

import { readOptional, writePrivateFile } from '../pki/pem.js';

interface X25519Jwk {
  kty: 'OKP';
  crv: 'X25519';
  d: string;
  x: string;
}

/** Parses an X25519 JWK file's text; a file whose halves disagree is refused. */
export function parseHubKeyJwk(text: string, path: string): SealingKeyPair {
  const jwk = JSON.parse(text) as X25519Jwk;
  // Node recomputes the public half; a file whose halves disagree is refused.
  const key = createPrivateKey({
    key: jwk as unknown as JsonWebKey,
    format: 'jwk',
  });
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (jwk.crv !== 'X25519' || x !== jwk.x) {
    throw new Error(`${path} does not hold a consistent X25519 key`);
  }

  return {
    privateKey: new Uint8Array(Buffer.from(jwk.d, 'base64url')),
    publicKey: new Uint8Array(Buffer.from(jwk.x, 'base64url')),
  };
}

/**
 * Loads the hub's X25519 sealing key pair from `dir/hub-sealing.jwk` (a JSON Web Key,
 * RFC 8037, written 0600), creating it on first start.
 *
 * @example
 * ```ts
 * const hubKey = await loadHubSealingKey('.data/keys');
 * ```
 */
export async function loadHubSealingKey(dir: string): Promise<SealingKeyPair> {
  const path = join(dir, 'hub-sealing.jwk');
  const stored = await readOptional(path);
  if (stored !== undefined) {
    return parseHubKeyJwk(stored, path);
  }

  const pair = generateSealingKeyPair();
  await writeHubKeyJwk(path, pair);

  return pair;
}

/** Writes a hub X25519 key pair as a JSON Web Key (RFC 8037), 0600, atomically. */
export async function writeHubKeyJwk(path: string, pair: SealingKeyPair): Promise<void> {
  const jwk: X25519Jwk = {
    kty: 'OKP',
    crv: 'X25519',
    d: Buffer.from(pair.privateKey).toString('base64url'),
    x: Buffer.from(pair.publicKey).toString('base64url'),
  };
  await writePrivateFile(path, `${JSON.stringify(jwk)}\n`);
}
