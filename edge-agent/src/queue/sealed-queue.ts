import { existsSync, mkdirSync, renameSync, statSync, statfsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { openJson, sealJson } from '@sparkden/protocol';
import Sqlite from 'better-sqlite3';

import { AgentError, InvalidStateError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OVERFLOW_POLICIES } from '../config/schema.js';

/** What a record carries; alarms travel on `up/alarm`, readings on `up/obs`. */
export type RecordKind = 'obs' | 'alarm';

/** Send order: lower first. Alarms, then urgent readings, then the bulk backlog. */
export const PRIORITY = { alarm: 0, urgent: 1, bulk: 2 } as const;

/** One group of items to append as a single sealed record. */
export interface AppendGroup {
  kind: RecordKind;
  priority: number;
  items: unknown[];
}

/** A record read back and unsealed. */
export interface QueuedRecord {
  id: number;
  kind: RecordKind;
  priority: number;
  createdAt: number;
  items: unknown[];
  /** Size of the sealed record; the items go on the wire in about as many bytes. */
  bytes: number;
}

/** Counts of the queue, as the status reports them. */
export interface QueueStats {
  /** Items (readings and alarms) waiting. */
  depth: number;
  records: number;
  bytes: number;
  oldestAgeMs: number;
  /** Alarm items waiting. */
  alarms: number;
  /** Items dropped by the overflow or age policy since the queue was created. */
  dropped: number;
  /** Whole files and single records set aside as unreadable. */
  quarantined: number;
}

/** Options of {@link SealedQueue}. */
export interface SealedQueueOptions {
  path: string;
  agentId: string;
  /** 32-byte key the records are sealed with at rest. */
  key: Uint8Array;
  /** Gives each new record its id (unique forever; see SeqCounter). */
  nextId: () => number;
  maxBytes: number;
  maxAgeMs: number;
  overflow: (typeof OVERFLOW_POLICIES)[number];
  /** Hard cap of the file in pages; a write past it fails as on a full disk. */
  maxPages?: number;
  /**
   * Bytes left free on the queue's filesystem (default 512 KiB): readings that would eat into
   * them are refused as `DISK_FULL`, so deleting acked records (which writes to the WAL), the
   * status file and the sequence file still find room. Alarms may use the reserve.
   */
  reserveBytes?: number;
  log?: Logger;
  /** Called when a file or record is set aside, with the quarantine path (or record id). */
  onQuarantine?: (what: { file?: string; recordId?: number; reason: string }) => void;
}

const SCHEMA = `
create table if not exists record (
  id integer primary key,
  kind text not null check (kind in ('obs', 'alarm')),
  priority integer not null,
  count integer not null,
  bytes integer not null,
  created_at integer not null,
  frame blob not null
);
create index if not exists record_send_order on record (kind, priority, id);
create index if not exists record_age on record (priority, created_at);
create table if not exists cursor (source text primary key, position text not null);
create table if not exists meta (key text primary key, value integer not null);
create table if not exists quarantined_record (
  id integer primary key, kind text not null, frame blob not null, reason text not null, at integer not null
);
`;

/** See {@link SealedQueueOptions.reserveBytes}. */
const DEFAULT_RESERVE_BYTES = 512 * 1024;

/** The age bound is enforced at most this often. */
const AGE_CHECK_MS = 60_000;

const CORRUPT_CODES = new Set([
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CORRUPT_VTAB',
  'SQLITE_IOERR_SHORT_READ',
]);
const FULL_CODES = new Set(['SQLITE_FULL']);

function sqliteCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/**
 * The agent's durable store-and-forward queue: a SQLite file in WAL mode with
 * `synchronous=FULL`, so a record is on disk when {@link append} returns. Every record is
 * sealed (XChaCha20-Poly1305, header bound to its id) before it is written: the file never
 * holds a readable reading. A corrupted file is moved to `quarantine/` and replaced; a
 * record that no longer authenticates is set aside alone.
 *
 * Bounds (an explicit policy, logged every time it acts): readings older than `maxAgeMs`
 * are dropped; past `maxBytes`, `drop-oldest` drops the oldest bulk readings and
 * `drop-newest` refuses new bulk readings. Alarms and urgent readings are never dropped.
 *
 * @example
 * ```ts
 * const queue = new SealedQueue({ path, agentId, key, nextId, maxBytes, maxAgeMs, overflow: 'drop-oldest' });
 * queue.append([{ kind: 'obs', priority: PRIORITY.bulk, items: [obs] }]);
 * ```
 */
export class SealedQueue {
  #options: SealedQueueOptions;
  #db!: Sqlite.Database;
  #bytes = 0;
  #closed = false;
  #quarantined = 0;
  #ageCheckedAt = 0;
  #statements!: ReturnType<SealedQueue['prepare']>;

  constructor(options: SealedQueueOptions) {
    if (options.key.length !== 32) {
      throw new TypeError('"key" must be 32 bytes');
    }
    this.#options = options;
    this.#open();
  }

  #open(): void {
    const path = this.#options.path;
    try {
      this.#db = this.#connect(path);
      const check = this.#db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') {
        throw Object.assign(new Error(`quick_check: ${check}`), { code: 'SQLITE_CORRUPT' });
      }
    } catch (error) {
      if (!CORRUPT_CODES.has(sqliteCode(error))) {
        throw error;
      }
      this.#quarantineFile(String((error as Error).message));
      this.#db = this.#connect(path);
    }
  }

  #connect(path: string): Sqlite.Database {
    const db = new Sqlite(path);
    try {
      // [SQLite pragma auto_vacuum: set before the first table and WAL; an older file keeps NONE]
      // Lets a nearly full disk get back the pages that acked records left free.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      // [SQLite pragma synchronous: FULL syncs the WAL at every commit]
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      // Bounds the WAL (deletes after acks grow it too) well inside the disk reserve.
      db.pragma('wal_autocheckpoint = 64');
      db.pragma('journal_size_limit = 262144');
      if (this.#options.maxPages !== undefined) {
        db.pragma(`max_page_count = ${this.#options.maxPages}`);
      }
      db.exec(SCHEMA);
      this.#statements = this.prepare(db);
      const row = db.prepare('select coalesce(sum(bytes), 0) as b from record').get() as {
        b: number;
      };
      this.#bytes = row.b;
    } catch (error) {
      db.close();
      throw error;
    }

    return db;
  }

  /** @internal */
  prepare(db: Sqlite.Database) {
    return {
      insert: db.prepare(
        'insert into record (id, kind, priority, count, bytes, created_at, frame) values (?, ?, ?, ?, ?, ?, ?)',
      ),
      setCursor: db.prepare(
        'insert into cursor (source, position) values (?, ?) on conflict (source) do update set position = excluded.position',
      ),
      getCursor: db.prepare('select position from cursor where source = ?'),
      take: db.prepare(
        'select id, kind, priority, created_at, frame from record where kind = ? order by priority, id limit ?',
      ),
      remove: db.prepare('delete from record where id = ?'),
      get: db.prepare('select id, kind, priority, count, bytes, frame from record where id = ?'),
      aged: db.prepare('select id, count, bytes from record where priority = ? and created_at < ?'),
      oldestBulk: db.prepare('select id, count, bytes from record where priority = ? order by id'),
      addMeta: db.prepare(
        'insert into meta (key, value) values (?, ?) on conflict (key) do update set value = value + excluded.value',
      ),
    };
  }

  #quarantineFile(reason: string): void {
    const path = this.#options.path;
    try {
      this.#db?.close();
    } catch {
      // Closing a broken handle may fail; the file is being set aside either way.
    }
    const dir = join(dirname(path), 'quarantine');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const target = join(dir, `${basename(path)}.${stamp}`);
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(path + suffix)) {
        renameSync(path + suffix, target + suffix);
      }
    }
    this.#quarantined++;
    this.#options.log?.error(
      { event: 'queueQuarantined', file: target, reason },
      'queue file unreadable: quarantined, starting a fresh queue',
    );
    this.#options.onQuarantine?.({ file: target, reason });
  }

  /** Runs `fn`; when the file turns out corrupt, quarantines it, opens a fresh one and throws. */
  #guard<T>(fn: () => T): T {
    if (this.#closed) {
      throw new InvalidStateError('queue is closed');
    }
    try {
      return fn();
    } catch (error) {
      const code = sqliteCode(error);
      if (CORRUPT_CODES.has(code)) {
        this.#quarantineFile(String((error as Error).message));
        this.#db = this.#connect(this.#options.path);
        throw new AgentError('QUEUE_CORRUPT', 'queue file was corrupt and has been quarantined', {
          cause: error,
        });
      }
      if (FULL_CODES.has(code)) {
        throw new AgentError('DISK_FULL', 'no space left for the queue (disk or page limit)', {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Runs `fn` in one transaction, guarded; when it fails, the in-memory byte count it changed
   * rolls back with the rows (unless the file was quarantined and the count re-read).
   */
  #transact<T>(fn: () => T): T {
    const bytes = this.#bytes;
    try {
      return this.#guard(() => this.#db.transaction(fn)());
    } catch (error) {
      if ((error as { code?: string }).code !== 'QUEUE_CORRUPT') {
        this.#bytes = bytes;
      }
      throw error;
    }
  }

  #seal(id: number, kind: RecordKind, items: unknown[]): Uint8Array {
    return sealJson(
      { kind, keyId: 0, agentId: this.#options.agentId, seq: BigInt(id) },
      items,
      this.#options.key,
    );
  }

  /**
   * Seals and writes groups (and source cursors) in one transaction, fsynced before it
   * returns. Applies the bounds policy first.
   *
   * @returns how many items were refused by the `drop-newest` policy.
   * @throws {AgentError} `DISK_FULL` (nothing written) or `QUEUE_CORRUPT` (quarantined; retry).
   */
  append(groups: readonly AppendGroup[], cursors: Readonly<Record<string, string>> = {}): number {
    const now = Date.now();
    const sealed = groups
      .filter((g) => g.items.length > 0)
      .map((g) => {
        const id = this.#options.nextId();

        return { ...g, id, frame: this.#seal(id, g.kind, g.items) };
      });
    const incoming = sealed.reduce((n, g) => n + g.frame.length, 0);
    const refuseBulk = this.#makeRoom(incoming, now);
    const kept = refuseBulk ? sealed.filter((g) => g.priority !== PRIORITY.bulk) : sealed;
    const refused = sealed.filter((g) => !kept.includes(g)).reduce((n, g) => n + g.items.length, 0);
    const readings = kept.filter((g) => g.kind !== 'alarm').reduce((n, g) => n + g.frame.length, 0);
    this.#checkReserve(readings);

    this.#transact(() => {
      for (const g of kept) {
        this.#statements.insert.run(
          g.id,
          g.kind,
          g.priority,
          g.items.length,
          g.frame.length,
          now,
          g.frame,
        );
      }
      for (const [source, position] of Object.entries(cursors)) {
        this.#statements.setCursor.run(source, position);
      }
      if (refused > 0) {
        this.#statements.addMeta.run('dropped', refused);
      }
    });
    this.#bytes += kept.reduce((n, g) => n + g.frame.length, 0);

    return refused;
  }

  /**
   * Refuses a write of `incoming` sealed bytes that would leave less than the reserve free.
   * A commit goes to the WAL first (new space) and, at the checkpoint, into the file (new space
   * beyond its free pages), as may what the WAL already holds. Short of room, the WAL is
   * checkpointed and truncated (it keeps its largest size otherwise) and the free pages are
   * given back to the filesystem, then the room is measured again.
   */
  #checkReserve(incoming: number): void {
    if (incoming === 0) {
      return;
    }
    const reserve = this.#options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
    // Pages carry b-tree and WAL frame overhead besides the sealed bytes.
    const need = Math.ceil(incoming * 1.1);
    const fits = () => {
      const fs = statfsSync(dirname(this.#options.path));
      const pages = this.#guard(() => this.#db.pragma('freelist_count', { simple: true }));
      const pageSize = this.#guard(() => this.#db.pragma('page_size', { simple: true }));
      const reusable = Number(pages) * Number(pageSize);
      // What the WAL holds may still have to be copied into the file: count all of it.
      const wal = existsSync(`${this.#options.path}-wal`)
        ? statSync(`${this.#options.path}-wal`).size
        : 0;

      return fs.bavail * fs.bsize - wal - need - Math.max(0, need - reusable) >= reserve;
    };
    if (fits()) {
      return;
    }
    this.#guard(() => {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.pragma('incremental_vacuum');
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    });

    if (!fits()) {
      throw new AgentError(
        'DISK_FULL',
        `the queue's filesystem is down to its reserve of ${reserve} bytes`,
      );
    }
  }

  /** Applies the age and size bounds; returns whether incoming bulk items must be refused. */
  #makeRoom(incoming: number, now: number): boolean {
    const { maxBytes, maxAgeMs, overflow, log } = this.#options;
    const aged =
      now - this.#ageCheckedAt < Math.min(AGE_CHECK_MS, maxAgeMs)
        ? 0
        : this.#dropAged(now, maxAgeMs);
    if (aged > 0) {
      log?.error(
        { event: 'queueDropped', policy: 'max-age', items: aged, maxAgeMs },
        'readings older than the age bound dropped',
      );
    }
    if (this.#bytes + incoming <= maxBytes) {
      return false;
    }
    if (overflow === 'drop-newest') {
      log?.error(
        { event: 'queueDropped', policy: 'drop-newest', bytes: this.#bytes, maxBytes },
        'queue full: new bulk readings refused (alarms and urgent kept)',
      );

      return true;
    }
    const dropped = this.#transact(() => {
      const rows: { id: number; count: number; bytes: number }[] = [];
      let excess = this.#bytes + incoming - maxBytes;
      const it = this.#statements.oldestBulk.iterate(PRIORITY.bulk) as IterableIterator<{
        id: number;
        count: number;
        bytes: number;
      }>;
      for (const row of it) {
        if (excess <= 0) {
          break;
        }
        rows.push(row);
        excess -= row.bytes;
      }

      return this.#drop(rows);
    });
    if (dropped > 0) {
      log?.error(
        { event: 'queueDropped', policy: 'drop-oldest', items: dropped, maxBytes },
        'queue full: oldest bulk readings dropped (alarms and urgent kept)',
      );
    } else {
      log?.error(
        { event: 'queueOverBound', bytes: this.#bytes, maxBytes },
        'queue over its bound with only alarms and urgent readings: keeping them',
      );
    }

    return false;
  }

  #dropAged(now: number, maxAgeMs: number): number {
    this.#ageCheckedAt = now;

    return this.#transact(() => {
      const rows = this.#statements.aged.all(PRIORITY.bulk, now - maxAgeMs) as {
        id: number;
        count: number;
        bytes: number;
      }[];

      return this.#drop(rows);
    });
  }

  #drop(rows: readonly { id: number; count: number; bytes: number }[]): number {
    let items = 0;
    for (const row of rows) {
      this.#statements.remove.run(row.id);
      this.#bytes -= row.bytes;
      items += row.count;
    }
    if (items > 0) {
      this.#statements.addMeta.run('dropped', items);
    }

    return items;
  }

  /**
   * Reads up to `limit` records of a kind in send order, skipping `exclude` (in flight).
   * A record that no longer authenticates is moved to `quarantined_record` and skipped.
   */
  take(kind: RecordKind, limit: number, exclude: ReadonlySet<number> = new Set()): QueuedRecord[] {
    const rows = this.#guard(
      () =>
        this.#statements.take.all(kind, limit + exclude.size) as {
          id: number;
          kind: RecordKind;
          priority: number;
          created_at: number;
          frame: Buffer;
        }[],
    );
    const out: QueuedRecord[] = [];
    for (const row of rows) {
      if (exclude.has(row.id) || out.length >= limit) {
        continue;
      }
      try {
        const opened = openJson(row.frame, {
          key: () => this.#options.key,
          agentId: this.#options.agentId,
          kind: row.kind,
        });
        if (opened.header.seq !== BigInt(row.id) || !Array.isArray(opened.value)) {
          throw new AgentError('QUEUE_CORRUPT', 'record header does not match its row');
        }
        out.push({
          id: row.id,
          kind: row.kind,
          priority: row.priority,
          createdAt: row.created_at,
          items: opened.value as unknown[],
          bytes: row.frame.length,
        });
      } catch (error) {
        this.#quarantineRecord(row.id, error);
      }
    }

    return out;
  }

  #quarantineRecord(id: number, error: unknown): void {
    const reason = (error as { code?: string }).code ?? 'UNREADABLE';
    this.#transact(() => {
      const row = this.#statements.get.get(id) as
        { kind: string; bytes: number; frame: Buffer } | undefined;
      if (row === undefined) {
        return;
      }
      this.#db
        .prepare(
          'insert or replace into quarantined_record (id, kind, frame, reason, at) values (?, ?, ?, ?, ?)',
        )
        .run(id, row.kind, row.frame, reason, Date.now());
      this.#statements.remove.run(id);
      this.#bytes -= row.bytes;
      this.#statements.addMeta.run('quarantined', 1);
    });
    this.#options.log?.error(
      { event: 'recordQuarantined', recordId: id, reason },
      'queued record did not authenticate: set aside',
    );
    this.#options.onQuarantine?.({ recordId: id, reason });
  }

  /**
   * Deletes records (after the hub's ack), in one transaction. A delete writes to the WAL too:
   * on a full disk the WAL is checkpointed and truncated, and the delete tried once more.
   */
  remove(ids: Iterable<number>): void {
    const list = [...ids];
    const run = () =>
      this.#transact(() => {
        for (const id of list) {
          const row = this.#statements.get.get(id) as { bytes: number } | undefined;
          if (row !== undefined) {
            this.#statements.remove.run(id);
            this.#bytes -= row.bytes;
          }
        }
      });
    try {
      run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'DISK_FULL') {
        throw error;
      }
      this.#guard(() => this.#db.pragma('wal_checkpoint(TRUNCATE)'));
      run();
    }
  }

  /** The last committed position of a source (`undefined` when it never committed). */
  getCursor(source: string): string | undefined {
    const row = this.#guard(
      () => this.#statements.getCursor.get(source) as { position: string } | undefined,
    );

    return row?.position;
  }

  /** Sealed bytes queued, kept in memory (no query, unlike {@link stats}). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counts for the status. */
  stats(now = Date.now()): QueueStats {
    return this.#guard(() => {
      const r = this.#db
        .prepare(
          `select coalesce(sum(count), 0) as depth, count(*) as records, min(created_at) as oldest,
             coalesce(sum(case when kind = 'alarm' then count else 0 end), 0) as alarms from record`,
        )
        .get() as { depth: number; records: number; oldest: number | null; alarms: number };
      const meta = Object.fromEntries(
        (
          this.#db.prepare('select key, value from meta').all() as { key: string; value: number }[]
        ).map((m) => [m.key, m.value]),
      );

      return {
        depth: r.depth,
        records: r.records,
        bytes: this.#bytes,
        oldestAgeMs: r.oldest === null ? 0 : Math.max(0, now - r.oldest),
        alarms: r.alarms,
        dropped: meta.dropped ?? 0,
        quarantined: (meta.quarantined ?? 0) + this.#quarantined,
      };
    });
  }

  /** Replaces the bounds (config reload). */
  setBounds(bounds: Pick<SealedQueueOptions, 'maxBytes' | 'maxAgeMs' | 'overflow'>): void {
    Object.assign(this.#options, bounds);
  }

  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#db.close();
  }
}
