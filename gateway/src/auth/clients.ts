import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

/** A registered OAuth 2.0 client. */
export interface OAuthClient {
  id: string;
  /** Confidential clients have a secret; public (browser, mobile) clients do not. */
  confidential: boolean;
  redirectUris: string[];
  /** The most the client may be granted. */
  scopes: string[];
  /** Care units a system client acts for (`*` for every unit). */
  units: string[];
}

/** What registering a client needs. */
export interface NewClient {
  id: string;
  confidential: boolean;
  redirectUris?: string[];
  scopes: string[];
  units?: string[];
  /** A fixed secret (at least 32 characters), for demo clients; random otherwise. */
  secret?: string;
}

interface ClientRow {
  id: string;
  secret_hash: string | null;
  redirect_uris: string[];
  scopes: string[];
  units: string[];
}

const digest = (secret: string) => createHash('sha256').update(secret).digest();

/**
 * OAuth 2.0 clients: SMART apps (public, PKCE) and system clients (confidential, client
 * credentials). Secrets are 256-bit random values, so a SHA-256 digest is a sound verifier.
 *
 * @example
 * ```ts
 * const { clientSecret } = await clients.register({ id: 'lab', confidential: true, scopes });
 * ```
 */
export class ClientRegistry {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Registers a client; a confidential client's secret is returned once. */
  async register(input: NewClient): Promise<{ client: OAuthClient; clientSecret?: string }> {
    if (!/^[A-Za-z0-9._-]{3,64}$/.test(input.id)) {
      throw new TypeError(`"id" must be 3-64 characters of [A-Za-z0-9._-]: ${input.id}`);
    }

    if (input.secret !== undefined && input.secret.length < 32) {
      throw new TypeError('"secret" must be at least 32 characters');
    }
    const secret = input.confidential
      ? (input.secret ?? randomBytes(32).toString('base64url'))
      : undefined;
    const hash = secret === undefined ? null : digest(secret).toString('hex');
    await this.#db.query(
      `insert into auth.clients (id, secret_hash, redirect_uris, scopes, units)
       values ($1, $2, $3, $4, $5)`,
      [input.id, hash, input.redirectUris ?? [], input.scopes, input.units ?? []],
    );
    const client = toClient({
      id: input.id,
      secret_hash: hash,
      redirect_uris: input.redirectUris ?? [],
      scopes: input.scopes,
      units: input.units ?? [],
    });

    return secret === undefined ? { client } : { client, clientSecret: secret };
  }

  /** Finds a client by id. */
  async get(id: string): Promise<OAuthClient | undefined> {
    const row = await this.#row(id);

    return row === undefined ? undefined : toClient(row);
  }

  /** Returns the client when `secret` is its secret, else `undefined`. */
  async authenticate(id: string, secret: string): Promise<OAuthClient | undefined> {
    const row = await this.#row(id);
    if (row?.secret_hash == null) {
      return undefined;
    }

    const ok = timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), digest(secret));

    return ok ? toClient(row) : undefined;
  }

  async #row(id: string): Promise<ClientRow | undefined> {
    const { rows } = await this.#db.query<ClientRow>('select * from auth.clients where id = $1', [
      id,
    ]);

    return rows[0];
  }
}

function toClient(row: ClientRow): OAuthClient {
  return {
    id: row.id,
    confidential: row.secret_hash !== null,
    redirectUris: row.redirect_uris,
    scopes: row.scopes,
    units: row.units,
  };
}
