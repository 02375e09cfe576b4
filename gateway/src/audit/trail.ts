import { createHmac } from 'node:crypto';

import type { Database, Queryable } from '@sparkden/alerting';

import { canonicalJson } from './canonical.js';

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
 * batches under an advisory lock, each record's HMAC chaining the previous one, so the
 * chain stays linear even with several gateways on one database.
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
  #queue: Pending[] = [];
  #draining = false;

  constructor(db: Database, key: Buffer) {
    if (key.length < 32) {
      throw new TypeError('"key" must be at least 32 bytes');
    }

    this.#db = db;
    this.#key = key;
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
        await this.#db.transaction((tx) => this.#write(tx, batch));
        batch.forEach((p) => p.resolve());
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    }
    this.#draining = false;
  }

  async #write(tx: Queryable, batch: Pending[]): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
    const head = await tx.query<{ seq: number; hash: string }>('select seq, hash from audit.head');
    let seq = head.rows[0]?.seq ?? 0;
    let prevHash = head.rows[0]?.hash ?? GENESIS;
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
    await tx.query(
      `insert into audit.events (seq, at, action, actor_sub, actor_role, resource, patient_id,
         outcome, purpose, source, request_id, detail, prev_hash, hash) values ${values}`,
      rows.flat(),
    );
    await tx.query(
      `insert into audit.head (one, seq, hash) values (true, $1, $2)
       on conflict (one) do update set seq = excluded.seq, hash = excluded.hash`,
      [seq, prevHash],
    );
  }
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
