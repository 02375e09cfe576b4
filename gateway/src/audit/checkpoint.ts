import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The audit chain's head as last seen by this hub, kept outside the database. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  at: string;
}

/** Raised for a checkpoint that does not verify or would move the head backwards. */
export class AuditCheckpointError extends Error {
  /** `FORGED` the MAC does not match; `BACKWARDS` a write would lower the checkpoint. */
  readonly code: 'FORGED' | 'BACKWARDS';
  /** For `BACKWARDS`: the record number the stored checkpoint holds. */
  readonly checkpointSeq: number | undefined;

  constructor(code: 'FORGED' | 'BACKWARDS', message: string, checkpointSeq?: number) {
    super(message);
    this.name = 'AuditCheckpointError';
    this.code = code;
    this.checkpointSeq = checkpointSeq;
  }
}

/** The checkpoint's file name, beside the hub's keys. */
export const CHECKPOINT_FILE = 'audit-checkpoint.json';

function macOf(key: Buffer, c: AuditCheckpoint): string {
  return createHmac('sha256', key)
    .update(`sparkden-audit-checkpoint\n${c.seq}\n${c.hash}\n${c.at}`)
    .digest('hex');
}

/**
 * Reads and verifies the checkpoint in `dir`; `undefined` when there is none yet.
 *
 * @throws {AuditCheckpointError} `FORGED` when its MAC does not match the audit key.
 * @example
 * ```ts
 * const checkpoint = await readCheckpoint('.data/keys', auditKey);
 * ```
 */
export async function readCheckpoint(
  dir: string,
  key: Buffer,
): Promise<AuditCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }

  const parsed = JSON.parse(text) as Partial<AuditCheckpoint> & { mac?: string };
  const checkpoint = {
    seq: Number(parsed.seq),
    hash: String(parsed.hash),
    at: String(parsed.at),
  };
  const expected = Buffer.from(macOf(key, checkpoint));
  const given = Buffer.from(String(parsed.mac));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AuditCheckpointError('FORGED', 'the audit checkpoint does not verify');
  }

  return checkpoint;
}

/**
 * Writes an HMAC-signed checkpoint of the chain head to `dir` (atomically, mode 0600). It
 * only moves forward: a head below the stored checkpoint is the sign of a cut tail, and
 * overwriting the checkpoint would erase that evidence.
 *
 * @throws {AuditCheckpointError} `BACKWARDS` for a head below the stored checkpoint.
 */
export async function writeCheckpoint(
  dir: string,
  key: Buffer,
  head: { seq: number; hash: string },
): Promise<void> {
  const current = await readCheckpoint(dir, key);
  if (current !== undefined && head.seq < current.seq) {
    throw new AuditCheckpointError(
      'BACKWARDS',
      `the audit head (${head.seq}) is behind its checkpoint (${current.seq})`,
      current.seq,
    );
  }
  if (current?.seq === head.seq && current.hash === head.hash) {
    return;
  }

  const checkpoint = { seq: head.seq, hash: head.hash, at: new Date().toISOString() };
  const body = JSON.stringify({ ...checkpoint, mac: macOf(key, checkpoint) });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${CHECKPOINT_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, body, { mode: 0o600 });
  await rename(tmp, join(dir, CHECKPOINT_FILE));
}
