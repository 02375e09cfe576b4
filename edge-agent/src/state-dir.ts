import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import { AgentError } from './errors.js';

/** What enrollment leaves in the state dir (besides the key files). */
export interface Identity {
  agentId: string;
  keyId: number;
  mqttUrl: string;
  /** The hub's X25519 public key, base64url of the raw 32 bytes. */
  hubSealingPublicKey: string;
  hubUrl: string;
  enrolledAt: string;
  /** Hub keys of earlier key ids (newest first), kept after a rotation. */
  previousHubKeys?: Array<{ keyId: number; hubSealingPublicKey: string }>;
}

/** Everything the agent needs to talk to the hub, loaded from its state dir. */
export interface Credentials extends Identity {
  sealingPrivateKey: Uint8Array;
  sealingPublicKey: Uint8Array;
  hubPublicKey: Uint8Array;
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

/** File names inside the state dir. */
export const STATE_FILES = {
  identity: 'identity.json',
  sealingKey: 'sealing-key.json',
  key: 'agent-key.pem',
  certificate: 'agent-cert.pem',
  ca: 'hub-ca.pem',
  queue: 'queue.db',
  queueKey: 'queue-key.json',
  status: 'status.json',
  pushedConfig: 'pushed-config.sealed',
  quarantine: 'quarantine',
} as const;

/** Creates the state dir (and its parents) owner-only, 0700. */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Writes a file atomically (temp file, fsync, rename) with the given mode (0600 by
 * default), so a power cut leaves either the old or the new content.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
  // The rename is durable only once the directory entry is on disk.
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/**
 * Loads the enrolled identity, keys and certificates.
 *
 * @throws {AgentError} `NOT_ENROLLED` when the state dir holds no enrollment.
 */
export function loadCredentials(dir: string): Credentials {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  let identity: Identity;
  try {
    identity = JSON.parse(read(STATE_FILES.identity)) as Identity;
  } catch (cause) {
    throw new AgentError('NOT_ENROLLED', `no enrollment in ${dir}; run "sparkden-agent enroll"`, {
      cause,
    });
  }
  const sealing = JSON.parse(read(STATE_FILES.sealingKey)) as {
    privateKey: string;
    publicKey: string;
  };

  return {
    ...identity,
    sealingPrivateKey: b64(sealing.privateKey),
    sealingPublicKey: b64(sealing.publicKey),
    hubPublicKey: b64(identity.hubSealingPublicKey),
    keyPem: read(STATE_FILES.key),
    certificatePem: read(STATE_FILES.certificate),
    caPem: read(STATE_FILES.ca),
  };
}
