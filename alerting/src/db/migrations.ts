import { Umzug, type UmzugStorage } from 'umzug';

import type { Database, Queryable } from './database.js';

/** One schema change. `name` orders migrations and must never change once released. */
export interface Migration {
  name: string;
  up: (db: Queryable) => Promise<void>;
}

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** The owner schema (`vitals`, `alerting`, `fleet`, `clinical`, `billing`, `audit`). */
  schema: string;
  migrations: readonly Migration[];
}

const LOCK_KEY = 0x5d_5d_0001;

function storageFor(conn: Queryable, schema: string): UmzugStorage<Queryable> {
  return {
    async executed() {
      const { rows } = await conn.query<{ name: string }>(
        'select name from public.sparkden_migrations where owner = $1 order by name',
        [schema],
      );

      return rows.map((r) => r.name);
    },
    async logMigration({ name }) {
      // Already written by the migration's own transaction; kept for umzug's contract.
      await conn.query(
        'insert into public.sparkden_migrations (owner, name) values ($1, $2) on conflict do nothing',
        [schema, name],
      );
    },
    async unlogMigration({ name }) {
      await conn.query('delete from public.sparkden_migrations where owner = $1 and name = $2', [
        schema,
        name,
      ]);
    },
  };
}

/**
 * Brings one owner schema up to date with umzug. Each migration runs in its own
 * transaction together with the row that records it, so a crash never half-applies one, and an advisory lock keeps two hub
 * processes starting at once from racing. Returns the names applied.
 *
 * @example
 * ```ts
 * await runMigrations(db, { schema: 'vitals', migrations: vitalsMigrations });
 * ```
 */
export async function runMigrations(
  db: Database,
  options: RunMigrationsOptions,
): Promise<string[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(options.schema)) {
    throw new TypeError(`"schema" must be a lower-case SQL identifier: ${options.schema}`);
  }

  return db.session(async (conn) => {
    await conn.query('select pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      await conn.exec(
        `create table if not exists public.sparkden_migrations (
           owner text not null,
           name text not null,
           applied_at timestamptz not null default now(),
           primary key (owner, name)
         );
         create schema if not exists ${options.schema};`,
      );
      const umzug = new Umzug<Queryable>({
        context: conn,
        storage: storageFor(conn, options.schema),
        logger: undefined,
        migrations: options.migrations.map((m) => ({
          name: m.name,
          up: async ({ context }) => {
            await context.exec('BEGIN');
            try {
              await m.up(context);
              await context.query(
                'insert into public.sparkden_migrations (owner, name) values ($1, $2)',
                [options.schema, m.name],
              );
              await context.exec('COMMIT');
            } catch (error) {
              await context.exec('ROLLBACK');
              throw error;
            }
          },
        })),
      });
      const applied = await umzug.up();

      return applied.map((m) => m.name);
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  });
}
