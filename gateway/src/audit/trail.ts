import { createHmac } from 'node:crypto';

import type { Database, Queryable } from '@sparkden/alerting';

import { canonicalJson } from './canonical.js';
import { AuditCheckpointError, writeCheckpoint } from './checkpoint.js';

/** How an audited action ended. */
export type AuditOutcome = 'success' | 'denied' | 'failure';

/**
 * One auditable event: who did what to which record of which patient, when, from where,
 * why and with what outcome. `detail` holds opaque ids and codes only, never PHI.
 */
export interface AuditInput {
  /** A verb: `read`, `search`, `create`, `update`, `patch`, `delete`, `login`, `token`, … */
  action: string;
  actor?: { sub: string; role: string } | undefined;
  /** The record touched, as a FHIR reference (`Observation/o1`) or a type (`Patient`). */
  resource?: string | undefined;
  patientId?: string | undefined;
  outcome: AuditOutcome;
  /** A purpose of use code (`TREAT`, `BTG`, `HOPERAT`, `PATRQT`). */
  purpose?: string | undefined;
  /** The network address the request came from. */
  source?: string | undefined;
  requestId?: string | undefined;
  detail?: Record<string, string | number | boolean> | undefined;
}

/** A stored audit record. */
export interface AuditRecord extends AuditInput {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  /** Where the signed head checkpoint is kept (the keys directory); none when absent. */
  checkpointDir?: string | undefined;
  /** Write a checkpoint once this many records were added since the last (default 100). */
  checkpointEvery?: number | undefined;
}

/** A function other parts call to audit an event; it resolves once the record is committed. */
export type AuditFn = (event: AuditInput) => Promise<void>;

const GENESIS = '0'.repeat(64);
const CHAIN_LOCK = 0x5d_5d_a0d1;

interface Pending {
  event: AuditInput;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Computes a record's chained HMAC over its canonical form and the previous hash. */
export function hashRecord(key: Buffer, record: Omit<AuditRecord, 'hash'>): string {
  const body = canonicalJson({
    seq: record.seq,
    at: record.at,
    action: record.action,
    actor: record.actor ?? null,
    resource: record.resource ?? null,
    patientId: record.patientId ?? null,
    outcome: record.outcome,
    purpose: record.purpose ?? null,
    source: record.source ?? null,
    requestId: record.requestId ?? null,
    detail: record.detail ?? {},
  });

  return createHmac('sha256', key).update(record.prevHash).update('\n').update(body).digest('hex');
}

/**
 * The append-only audit trail. Events queue in memory and one writer commits them in
 * batches under a lock on the chain head, each record's HMAC chaining the previous one, so the
 * chain stays linear even with several gateways on one database. With `checkpointDir`, an
 * HMAC-signed copy of the head is written there every `checkpointEvery` records and on
 * {@link checkpoint}, so a tail cut in the database (records and head rewritten together)
 * still shows against it; a batch whose checkpoint cannot be written fails.
 *
 * @example
 * ```ts
 * const trail = new AuditTrail(db, key);
 * await trail.append({ action: 'read', resource: 'Patient/p1', outcome: 'success' });
 * ```
 */
export class AuditTrail {
  readonly #db: Database;
  readonly #key: Buffer;
  readonly #checkpointDir: string | undefined;
  readonly #checkpointEvery: number;
  #checkpointed = -1;
  #queue: Pending[] = [];
  #draining = false;

  constructor(db: Database, key: Buffer, options: AuditTrailOptions = {}) {
    if (key.length < 32) {
      throw new TypeError('"key" must be at least 32 bytes');
    }
    const every = options.checkpointEvery ?? 100;
    if (!Number.isInteger(every) || every < 1) {
      throw new TypeError('"checkpointEvery" must be an integer >= 1');
    }

    this.#db = db;
    this.#key = key;
    this.#checkpointDir = options.checkpointDir;
    this.#checkpointEvery = every;
  }

  /** Writes the signed checkpoint of the current head now (at shutdown, say). */
  async checkpoint(): Promise<void> {
    if (this.#checkpointDir === undefined) {
      return;
    }

    const head = await this.#head();
    if (head !== undefined) {
      await writeCheckpoint(this.#checkpointDir, this.#key, head);
      this.#checkpointed = head.seq;
    }
  }

  async #head(): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await this.#db.query<{ seq: number; hash: string }>(
      'select seq, hash from audit.head',
    );

    return rows[0] === undefined ? undefined : { seq: Number(rows[0].seq), hash: rows[0].hash };
  }

  // Another process sharing the directory may have checkpointed a later head first: that
  // is a race, not a cut tail, when the database's head has reached that checkpoint.
  async #writeCheckpoint(seq: number, hash: string): Promise<void> {
    const dir = this.#checkpointDir as string;
    try {
      await writeCheckpoint(dir, this.#key, { seq, hash });
      this.#checkpointed = seq;
    } catch (error) {
      const ahead = error instanceof AuditCheckpointError ? error.checkpointSeq : undefined;
      const head = ahead === undefined ? undefined : await this.#head();
      if (head === undefined || ahead === undefined || head.seq < ahead) {
        throw error;
      }
      await writeCheckpoint(dir, this.#key, head);
      this.#checkpointed = head.seq;
    }
  }

  /** Appends one event; resolves once it is committed. */
  append(event: AuditInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        void this.#drain();
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, 500);
      try {
        const head = await this.#db.transaction((tx) => this.#write(tx, batch));
        const due =
          this.#checkpointed < 0 || head.seq - this.#checkpointed >= this.#checkpointEvery;
        if (this.#checkpointDir !== undefined && due) {
          await this.#writeCheckpoint(head.seq, head.hash);
        }
        batch.forEach((p) => p.resolve());
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    }
    this.#draining = false;
  }

  async #write(tx: Queryable, batch: Pending[]): Promise<{ seq: number; hash: string }> {
    const head = await lockHead(tx);
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS;
    const rows: unknown[][] = [];
    const at = new Date().toISOString();
    for (const { event } of batch) {
      seq += 1;
      const record = { ...event, seq, at, prevHash };
      const hash = hashRecord(this.#key, record);
      rows.push(toRow(record, hash));
      prevHash = hash;
    }

    const width = 14;
    const placeholders = (r: number) =>
      Array.from({ length: width }, (_, i) => `$${r * width + i + 1}`).join(',');
    const values = rows.map((_, r) => `(${placeholders(r)})`).join(',');
    const headParams = `$${rows.length * width + 1}, $${rows.length * width + 2}`;
    // One statement, one round trip: a data-modifying CTE always runs to completion
    // [PostgreSQL 15 7.8.4], and the head's triggers still fire on the upsert.
    await tx.query(
      `with added as (insert into audit.events (seq, at, action, actor_sub, actor_role,
         resource, patient_id, outcome, purpose, source, request_id, detail, prev_hash, hash)
         values ${values})
       insert into audit.head (one, seq, hash) values (true, ${headParams})
       on conflict (one) do update set seq = excluded.seq, hash = excluded.hash`,
      [...rows.flat(), seq, prevHash],
    );

    return { seq, hash: prevHash };
  }
}

/**
 * Reads the chain head and holds it until the transaction ends, so appends from every
 * process sharing the database queue behind one another. `for update` waits for a writer
 * holding the row and then returns the row as that writer committed it [PostgreSQL 15
 * 13.2.1: Read Committed re-reads the updated version]. Before the first record there is
 * no row to lock: the advisory lock serializes that case, and the head is read again
 * under it, in a fresh snapshot.
 */
async function lockHead(tx: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  const sql = 'select seq, hash from audit.head for update';
  const first = await tx.query<{ seq: number; hash: string }>(sql);
  if (first.rows[0] !== undefined) {
    return { seq: Number(first.rows[0].seq), hash: first.rows[0].hash };
  }

  await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const again = await tx.query<{ seq: number; hash: string }>(sql);

  return again.rows[0] === undefined
    ? undefined
    : { seq: Number(again.rows[0].seq), hash: again.rows[0].hash };
}

function toRow(r: Omit<AuditRecord, 'hash'>, hash: string): unknown[] {
  return [
    r.seq,
    r.at,
    r.action,
    r.actor?.sub ?? null,
    r.actor?.role ?? null,
    r.resource ?? null,
    r.patientId ?? null,
    r.outcome,
    r.purpose ?? null,
    r.source ?? null,
    r.requestId ?? null,
    JSON.stringify(r.detail ?? {}),
    r.prevHash,
    hash,
  ];
}

/** A row of `audit.events` as the database returns it. */
export interface AuditRow {
  seq: number;
  at: Date | string;
  action: string;
  actor_sub: string | null;
  actor_role: string | null;
  resource: string | null;
  patient_id: string | null;
  outcome: string;
  purpose: string | null;
  source: string | null;
  request_id: string | null;
  detail: Record<string, string | number | boolean> | string;
  prev_hash: string;
  hash: string;
}

/** Turns a database row back into an {@link AuditRecord}. */
export function fromRow(row: AuditRow): AuditRecord {
  const at = row.at instanceof Date ? row.at.toISOString() : new Date(row.at).toISOString();
  const detail =
    typeof row.detail === 'string' ? (JSON.parse(row.detail) as AuditRow['detail']) : row.detail;
  const actor =
    row.actor_sub === null ? undefined : { sub: row.actor_sub, role: row.actor_role ?? '' };

  return {
    seq: Number(row.seq),
    at,
    action: row.action,
    actor,
    resource: row.resource ?? undefined,
    patientId: row.patient_id ?? undefined,
    outcome: row.outcome as AuditOutcome,
    purpose: row.purpose ?? undefined,
    source: row.source ?? undefined,
    requestId: row.request_id ?? undefined,
    detail: detail as AuditRecord['detail'],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export { GENESIS };
