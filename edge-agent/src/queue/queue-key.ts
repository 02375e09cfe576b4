import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { AgentError } from '../errors.js';
import { STATE_FILES, writeFileAtomic, type Credentials } from '../state-dir.js';

/** The key the queue (and the stored hub config) is sealed with at rest. */
export interface QueueKey {
  key: Uint8Array;
  /** The agent id the queue's record headers carry: the enrollment that created the key. */
  recordAgentId: string;
}

interface QueueKeyFile {
  version: 1;
  key: string;
  recordAgentId: string;
  /** How the key came to be: `random`, or `derived` from the sealing key of an older agent. */
  origin: 'random' | 'derived';
}

/**
 * The queue's own at-rest key, in `queue-key.json` (0600): created once, and kept across
 * re-enrollment and sealing key rotation, so neither strands queued records. A state dir
 * whose queue predates the file (its key was derived from the sealing key) keeps that key:
 * it is derived once more and stored, so every old record still opens.
 *
 * @throws {AgentError} `STATE_UNREADABLE` when the key file exists but cannot be used.
 * @example
 * ```ts
 * const { key, recordAgentId } = loadQueueKey('/var/lib/sparkden-agent', credentials);
 * ```
 */
export function loadQueueKey(dir: string, credentials: Credentials): QueueKey {
  const file = join(dir, STATE_FILES.queueKey);
  if (existsSync(file)) {
    return readQueueKey(file);
  }

  const migrating = existsSync(join(dir, STATE_FILES.queue));
  const key = migrating ? deriveLegacyKey(credentials) : new Uint8Array(randomBytes(32));
  const stored: QueueKeyFile = {
    version: 1,
    key: Buffer.from(key).toString('base64url'),
    recordAgentId: credentials.agentId,
    origin: migrating ? 'derived' : 'random',
  };
  writeFileAtomic(file, JSON.stringify(stored));

  return { key, recordAgentId: credentials.agentId };
}

/** The key agents before `queue-key.json` derived from their sealing key. */
function deriveLegacyKey(c: Credentials): Uint8Array {
  const info = 'sparkden/v1/queue-at-rest';

  return new Uint8Array(hkdfSync('sha256', c.sealingPrivateKey, info, c.agentId, 32));
}

function readQueueKey(file: string): QueueKey {
  let stored: Partial<QueueKeyFile>;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<QueueKeyFile>;
  } catch (cause) {
    throw new AgentError('STATE_UNREADABLE', 'queue key file cannot be read', { cause });
  }
  const key = Buffer.from(stored.key ?? '', 'base64url');
  if (stored.version !== 1 || key.length !== 32 || typeof stored.recordAgentId !== 'string') {
    throw new AgentError('STATE_UNREADABLE', 'queue key file is not a queue key');
  }

  return { key: new Uint8Array(key), recordAgentId: stored.recordAgentId };
}
