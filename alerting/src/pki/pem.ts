import { createPrivateKey, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The curve every key the hub makes uses. */
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The signature algorithm of every certificate the hub issues. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Wraps DER bytes as PEM with 64-character lines. */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];

  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Exports a private CryptoKey as a PKCS#8 PEM, the form Node's TLS reads. */
export async function exportPrivateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);

  return toPem(der, 'PRIVATE KEY');
}

/**
 * Imports an EC private key from PEM (PKCS#8 or the SEC1 form openssl's `ecparam` writes)
 * as a signing CryptoKey.
 */
export async function importPrivateKeyPem(pem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });

  return webcrypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, true, ['sign']);
}

/** A fresh P-256 key pair, extractable so it can be written to disk. */
export async function generateEcKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

/**
 * A positive 128-bit serial number as lower-case hex. [RFC 5280 4.1.2.2: positive, at most
 * 20 octets; CAs should use unpredictable serials]
 */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x10;

  return Buffer.from(bytes).toString('hex');
}

/** Normalises a serial to lower-case hex without leading zeros, as Node and x509 differ. */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

/**
 * Writes a file readable by its owner only (0600), atomically: a reader never sees half a key.
 */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Reads a file, or returns `undefined` when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
