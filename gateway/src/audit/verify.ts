import type { Queryable } from '@sparkden/alerting';

import { AuditCheckpointError, readCheckpoint, type AuditCheckpoint } from './checkpoint.js';
import { GENESIS, fromRow, hashRecord, type AuditRow } from './trail.js';

/** One break in the audit chain. */
export interface ChainBreak {
  /** `EDITED` a record's content no longer matches its hash; `MISSING` records are gone;
   * `RELINKED` a record does not point at its predecessor; `HEAD` the tail was cut;
   * `CHECKPOINT` the chain no longer reaches, or no longer matches, the signed checkpoint
   * kept outside the database (a tail cut with the head rewritten to match). */
  code: 'EDITED' | 'MISSING' | 'RELINKED' | 'HEAD' | 'CHECKPOINT';
  seq: number;
}

/** What {@link verifyAuditChain} found. */
export interface ChainReport {
  ok: boolean;
  checked: number;
  breaks: ChainBreak[];
}

/**
 * Walks the whole audit chain in order and recomputes every HMAC. Detects edited records,
 * deleted records (a gap in `seq`, or a cut tail against `audit.head` or against the
 * signed `checkpoint`, when given) and relinked ones.
 *
 * @example
 * ```ts
 * const report = await verifyAuditChain(db, auditKey, await readCheckpoint(dir, auditKey));
 * if (!report.ok) console.error(report.breaks);
 * ```
 */
export async function verifyAuditChain(
  db: Queryable,
  key: Buffer,
  checkpoint?: AuditCheckpoint,
): Promise<ChainReport> {
  const breaks: ChainBreak[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS;
  let checked = 0;
  let atCheckpoint: string | undefined;

  for (;;) {
    const { rows } = await db.query<AuditRow>(
      'select * from audit.events where seq >= $1 order by seq limit 1000',
      [expectedSeq],
    );
    for (const row of rows) {
      const record = fromRow(row);
      if (record.seq !== expectedSeq) {
        breaks.push({ code: 'MISSING', seq: expectedSeq });
      } else if (record.prevHash !== prevHash) {
        breaks.push({ code: 'RELINKED', seq: record.seq });
      }
      if (hashRecord(key, record) !== record.hash) {
        breaks.push({ code: 'EDITED', seq: record.seq });
      }
      if (record.seq === checkpoint?.seq) {
        atCheckpoint = record.hash;
      }
      prevHash = record.hash;
      expectedSeq = record.seq + 1;
      checked += 1;
    }
    if (rows.length < 1000) {
      break;
    }
  }

  const head = await db.query<{ seq: number; hash: string }>('select seq, hash from audit.head');
  const headSeq = Number(head.rows[0]?.seq ?? 0);
  if (headSeq !== expectedSeq - 1 || (headSeq > 0 && head.rows[0]?.hash !== prevHash)) {
    breaks.push({ code: 'HEAD', seq: headSeq });
  }
  if (checkpoint !== undefined && checkpoint.seq > 0 && atCheckpoint !== checkpoint.hash) {
    breaks.push({ code: 'CHECKPOINT', seq: checkpoint.seq });
  }

  return { ok: breaks.length === 0, checked, breaks };
}

/**
 * {@link verifyAuditChain} against the signed checkpoint kept in `dir` (none when `dir` is
 * absent or holds none yet); a checkpoint whose signature fails is itself a break.
 *
 * @example
 * ```ts
 * const report = await verifyAuditChainAt(db, auditKey, '.data/keys');
 * ```
 */
export async function verifyAuditChainAt(
  db: Queryable,
  key: Buffer,
  dir: string | undefined,
): Promise<ChainReport> {
  let checkpoint: AuditCheckpoint | undefined;
  try {
    checkpoint = dir === undefined ? undefined : await readCheckpoint(dir, key);
  } catch (error) {
    if (error instanceof AuditCheckpointError) {
      const report = await verifyAuditChain(db, key);

      return { ...report, ok: false, breaks: [...report.breaks, { code: 'CHECKPOINT', seq: 0 }] };
    }
    throw error;
  }

  return verifyAuditChain(db, key, checkpoint);
}
