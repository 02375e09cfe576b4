import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The result of one statement. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything SQL can be sent to: the database, a transaction, a session. */
export interface Queryable {
  /** Runs one parameterised statement (`$1`, `$2`, …). */
  query: <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters. */
  exec: (sql: string) => Promise<void>;
}

/** Which engine is behind a {@link Database}. */
export type DatabaseKind = 'pglite' | 'postgres';

/**
 * One PostgreSQL database: the real server (through a `pg` pool) or the embedded PGlite.
 * Both answer the same SQL; `kind` says which, for the few paths that differ (COPY).
 */
export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` on one dedicated connection (for advisory locks and session settings). */
  session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T>;
  /** The `pg` pool when `kind` is `'postgres'`. */
  readonly pool?: pg.Pool;
  /** The PGlite instance when `kind` is `'pglite'`. */
  readonly pglite?: PGlite;
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** A `postgres://` URL. When absent, the embedded PGlite is used. */
  url?: string;
  /** Where PGlite keeps its files; in memory when absent. Ignored with `url`. */
  dataDir?: string;
  /** Largest number of pooled connections to the server (default 10). */
  maxConnections?: number;
}

// [PostgreSQL OIDs: 20 int8, 1700 numeric] counts and sums come back as numbers, as PGlite does.
const types = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (oid === 20) {
      return (v: string) => Number(v);
    }

    return pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
  },
};

function wrapClient(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params);

      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

function openPostgres(options: OpenDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    types,
  });
  // An idle client that loses its connection must not crash the process; the next query
  // gets a fresh connection from the pool.
  pool.on('error', () => undefined);
  // A checked-out client whose connection dies between two queries (a transaction during an
  // outage) emits 'error' on itself; without a listener that would end the process. The
  // failed query rejects on its own, so the event carries nothing more to handle.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const base = wrapClient(pool);

  async function session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      return await fn(wrapClient(client));
    } finally {
      client.release();
    }
  }

  return {
    kind: 'postgres',
    pool,
    query: base.query,
    exec: base.exec,
    session,
    transaction: (fn) =>
      session(async (conn) => {
        await conn.exec('BEGIN');
        try {
          const result = await fn(conn);
          await conn.exec('COMMIT');

          return result;
        } catch (error) {
          await conn.exec('ROLLBACK');
          throw error;
        }
      }),
    close: () => pool.end(),
  };
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  const db = new PGlite(options.dataDir);
  await db.waitReady;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]) {
      const r = await q.query<R>(sql, params);

      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  const base = wrap(db);

  return {
    kind: 'pglite',
    pglite: db,
    query: base.query,
    exec: base.exec,
    // PGlite is a single connection: a session is the database itself.
    session: (fn) => fn(base),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}

/**
 * Opens the hub's database: PostgreSQL when `url` is given, else embedded PGlite.
 *
 * @example
 * ```ts
 * const db = await openDatabase({ url: process.env.DATABASE_URL, dataDir: '.data/pg' });
 * const { rows } = await db.query('select 1 as one');
 * ```
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.url !== undefined && !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new TypeError('"url" must be a postgres:// URL');
  }

  if (options.url !== undefined) {
    const db = openPostgres(options);
    await db.query('select 1');

    return db;
  }

  return openPglite(options);
}
