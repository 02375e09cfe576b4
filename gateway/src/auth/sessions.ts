import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

import { GatewayError } from '../errors.js';

/** Timeouts of {@link SessionStore}, in seconds. */
export interface SessionTimeouts {
  /** A session unused this long ends (default 900: 15 min). */
  idleSeconds?: number;
  /** A session ends this long after login whatever its use (default 43 200: 12 h). */
  absoluteSeconds?: number;
}

/** A live session, as a rotated refresh token reveals it. */
export interface SessionInfo {
  sessionId: string;
  userId: string | null;
  clientId: string | null;
  scopes: string[];
  /** When the session ends whatever its use (its absolute limit). */
  expiresAt: Date;
}

/** Why a refresh token was refused; `REUSED` also revoked the whole family. */
export type RefreshFailure = 'UNKNOWN' | 'REUSED' | 'EXPIRED' | 'REVOKED';

/** Raised when a refresh token is refused. */
export class RefreshError extends GatewayError {
  readonly reason: RefreshFailure;

  constructor(reason: RefreshFailure) {
    super('UNAUTHENTICATED', `refresh token refused: ${reason}`);
    this.reason = reason;
  }
}

interface SessionRow {
  id: string;
  user_id: string | null;
  client_id: string | null;
  scopes: string[];
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Login sessions with rotating refresh tokens. Every refresh token works once; presenting a
 * used one again means it leaked, so the whole family (the session) is revoked
 * [OAuth 2.0 Security BCP 4.14.2]. Sessions end after an idle period and at an absolute limit.
 *
 * @example
 * ```ts
 * const { sessionId, refreshToken } = await sessions.open({ userId, scopes });
 * const next = await sessions.rotate(refreshToken);
 * ```
 */
export class SessionStore {
  readonly #db: Database;
  readonly #idleMs: number;
  readonly #absoluteMs: number;

  constructor(db: Database, timeouts: SessionTimeouts = {}) {
    this.#db = db;
    this.#idleMs = (timeouts.idleSeconds ?? 900) * 1000;
    this.#absoluteMs = (timeouts.absoluteSeconds ?? 43_200) * 1000;
  }

  /** How long an unused session lives, in seconds. */
  get idleSeconds(): number {
    return this.#idleMs / 1000;
  }

  /** Opens a session and returns its first refresh token. */
  async open(input: {
    userId?: string;
    clientId?: string;
    scopes: string[];
  }): Promise<{ sessionId: string; refreshToken: string; expiresAt: Date }> {
    const sessionId = randomUUID();
    const expires = new Date(Date.now() + this.#absoluteMs);
    await this.#db.query(
      `insert into auth.sessions (id, user_id, client_id, scopes, expires_at)
       values ($1, $2, $3, $4, $5)`,
      [sessionId, input.userId ?? null, input.clientId ?? null, input.scopes, expires],
    );
    const refreshToken = await this.#mint(sessionId);

    return { sessionId, refreshToken, expiresAt: expires };
  }

  /**
   * The client a refresh token's session was issued to, without spending it: `null` for a
   * first-party login, `undefined` for a token this store does not know.
   */
  async clientOf(refreshToken: string): Promise<string | null | undefined> {
    const { rows } = await this.#db.query<{ client_id: string | null }>(
      `select s.client_id from auth.refresh_tokens r join auth.sessions s on s.id = r.session_id
       where r.token_hash = $1`,
      [digest(refreshToken)],
    );

    return rows[0] === undefined ? undefined : rows[0].client_id;
  }

  /** Spends `refreshToken` and returns the session with its next refresh token. */
  async rotate(refreshToken: string): Promise<SessionInfo & { refreshToken: string }> {
    const outcome = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<SessionRow & { used_at: Date | null }>(
        `select s.*, r.used_at from auth.refresh_tokens r
           join auth.sessions s on s.id = r.session_id
         where r.token_hash = $1 for update`,
        [digest(refreshToken)],
      );
      const row = rows[0];
      if (row === undefined) {
        return { failure: 'UNKNOWN' as const };
      }
      if (row.used_at !== null) {
        await tx.query(
          `update auth.sessions set revoked_at = coalesce(revoked_at, now()),
             revoked_reason = coalesce(revoked_reason, 'refresh-reuse') where id = $1`,
          [row.id],
        );

        return { failure: 'REUSED' as const, row };
      }
      const failure = this.#check(row);
      if (failure !== undefined) {
        return { failure, row };
      }
      await tx.query('update auth.refresh_tokens set used_at = now() where token_hash = $1', [
        digest(refreshToken),
      ]);
      await tx.query('update auth.sessions set last_seen_at = now() where id = $1', [row.id]);

      return { row };
    });

    if (outcome.failure !== undefined) {
      throw new RefreshError(outcome.failure);
    }

    const row = outcome.row;
    const next = await this.#mint(row.id);

    return { ...infoOf(row), refreshToken: next };
  }

  /**
   * Checks that a session is still live (not revoked, not idle, not past its limit) and
   * marks it used.
   *
   * @throws {GatewayError} `UNAUTHENTICATED` when it is not.
   */
  async touch(sessionId: string): Promise<void> {
    const { rows } = await this.#db.query<SessionRow>('select * from auth.sessions where id = $1', [
      sessionId,
    ]);
    const row = rows[0];
    const failure = row === undefined ? 'UNKNOWN' : this.#check(row);
    if (failure !== undefined) {
      throw new GatewayError('UNAUTHENTICATED', `session ended: ${failure}`);
    }

    // Writing on every request would make each read a write; a 15 s resolution is plenty
    // for a 15 min idle limit.
    if (Date.now() - new Date(row.last_seen_at).getTime() > 15_000) {
      await this.#db.query('update auth.sessions set last_seen_at = now() where id = $1', [
        sessionId,
      ]);
    }
  }

  /** Ends a session (logout, or an administrator's action). */
  async revoke(sessionId: string, reason: string): Promise<void> {
    await this.#db.query(
      `update auth.sessions set revoked_at = coalesce(revoked_at, now()),
         revoked_reason = coalesce(revoked_reason, $2) where id = $1`,
      [sessionId, reason],
    );
  }

  #check(row: SessionRow): RefreshFailure | undefined {
    const now = Date.now();
    if (row.revoked_at !== null) {
      return 'REVOKED';
    }
    const idle = now - new Date(row.last_seen_at).getTime() > this.#idleMs;

    return idle || now > new Date(row.expires_at).getTime() ? 'EXPIRED' : undefined;
  }

  async #mint(sessionId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.#db.query(
      'insert into auth.refresh_tokens (token_hash, session_id) values ($1, $2)',
      [digest(token), sessionId],
    );

    return token;
  }
}

function infoOf(row: SessionRow): SessionInfo {
  return {
    sessionId: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: row.scopes,
    expiresAt: new Date(row.expires_at),
  };
}
