import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** An X25519 key pair used to agree on sealing keys. Raw 32-byte keys. */
export interface SealingKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Makes a fresh X25519 key pair for sealing. */
export function generateSealingKeyPair(): SealingKeyPair {
  const privateKey = x25519.utils.randomSecretKey();

  return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
}

const SALT = Buffer.from('sparkden/v1/seal', 'utf8');

/**
 * Derives the 32-byte XChaCha20-Poly1305 key an agent and the hub share: X25519 agreement
 * between one side's private key and the other's public key, then HKDF-SHA256 bound to the
 * agent id and key id, so a key never serves another agent or another rotation.
 *
 * @example
 * ```ts
 * const key = deriveSealingKey(agent.privateKey, hubPublicKey, { agentId: 'a-1', keyId: 1 });
 * ```
 */
export function deriveSealingKey(
  privateKey: Uint8Array,
  peerPublicKey: Uint8Array,
  context: { agentId: string; keyId: number },
): Uint8Array {
  if (privateKey.length !== 32 || peerPublicKey.length !== 32) {
    throw new TypeError('"privateKey" and "peerPublicKey" must be 32 bytes');
  }

  const shared = x25519.getSharedSecret(privateKey, peerPublicKey);
  const info = Buffer.from(`${context.agentId}\u0000${context.keyId}`, 'utf8');

  return hkdf(sha256, shared, SALT, info, 32);
}
