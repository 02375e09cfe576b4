import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use unless `SD_TEST_PG` says otherwise. */
export const TEST_SERVER_URL =
  process.env.SD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A throw-away database on the real server. */
export interface ScratchDatabase {
  /** Its `postgres://` URL. */
  url: string;
  name: string;
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, empty database on the PostgreSQL server at {@link TEST_SERVER_URL}, so
 * tests running side by side never see each other's rows.
 *
 * @example
 * ```ts
 * const scratch = await createScratchDatabase();
 * const db = await openDatabase({ url: scratch.url });
 * ```
 */
export async function createScratchDatabase(prefix = 'sd_test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;

  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_SERVER_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
