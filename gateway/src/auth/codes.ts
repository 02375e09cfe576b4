import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Database } from '@sparkden/alerting';

/** What an authorization code stands for once redeemed. */
export interface RedeemedCode {
  userId: string;
  clientId: string;
  scopes: string[];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

// [RFC 7636 4.1: code_verifier = 43*128 unreserved characters]
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * Authorization codes of the code flow, bound to a PKCE S256 challenge, a client and a
 * redirect URI; single use, 60 seconds.
 *
 * @example
 * ```ts
 * const code = await codes.create({ userId, clientId, redirectUri, scopes, challenge });
 * const grant = await codes.redeem(code, { clientId, redirectUri, verifier });
 * ```
 */
export class AuthorizationCodes {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a new code and returns it. */
  async create(input: {
    userId: string;
    clientId: string;
    redirectUri: string;
    scopes: string[];
    challenge: string;
  }): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.#db.query(
      `insert into auth.codes (code_hash, client_id, user_id, redirect_uri, scopes, challenge,
         expires_at) values ($1, $2, $3, $4, $5, $6, now() + interval '60 seconds')`,
      [
        digest(code).toString('hex'),
        input.clientId,
        input.userId,
        input.redirectUri,
        input.scopes,
        input.challenge,
      ],
    );

    return code;
  }

  /**
   * Spends a code. Returns `undefined` when it is unknown, used, expired, issued to another
   * client or redirect URI, or when the verifier does not match its challenge [RFC 7636 4.6].
   */
  async redeem(
    code: string,
    check: { clientId: string; redirectUri: string; verifier: string },
  ): Promise<RedeemedCode | undefined> {
    if (!VERIFIER.test(check.verifier)) {
      return undefined;
    }

    const { rows } = await this.#db.query<{
      client_id: string;
      user_id: string;
      redirect_uri: string;
      scopes: string[];
      challenge: string;
    }>(
      `update auth.codes set used_at = now()
       where code_hash = $1 and used_at is null and expires_at > now()
       returning client_id, user_id, redirect_uri, scopes, challenge`,
      [digest(code).toString('hex')],
    );
    const row = rows[0];
    if (row === undefined) {
      return undefined;
    }
    const computed = digest(check.verifier);
    const expected = Buffer.from(row.challenge, 'base64url');
    const pkceOk = expected.length === computed.length && timingSafeEqual(expected, computed);
    const bound = row.client_id === check.clientId && row.redirect_uri === check.redirectUri;

    return pkceOk && bound
      ? { userId: row.user_id, clientId: row.client_id, scopes: row.scopes }
      : undefined;
  }
}
