import type { Role } from '../access/principal.js';
import type { SessionStore } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';

/** An OAuth 2.0 token response [RFC 6749 5.1], with SMART launch context. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  patient?: string;
  /** With a session: when it ends whatever its use, in seconds since the epoch. */
  session_expires_at?: number;
  /** With a session: how long it may go unused, in seconds. */
  idle_timeout?: number;
}

/** Who a token is for. */
export interface TokenSubject {
  sub: string;
  role: Role;
  units: string[];
  patientId?: string;
  practitionerId?: string;
  clientId?: string;
}

/** Options of {@link TokenIssuer}. */
export interface TokenIssuerOptions {
  issuer: string;
  audience: string;
  /** Access token lifetime in seconds (default 300). */
  accessTtlSeconds?: number;
}

/**
 * Mints the built-in IdP's short-lived access JWTs and, for interactive logins, opens a
 * session whose rotating refresh token comes back with them.
 *
 * @example
 * ```ts
 * const tokens = await issuer.issue(subject, ['user/*.cruds'], { session: true });
 * ```
 */
export class TokenIssuer {
  readonly #keys: SigningKeys;
  readonly #sessions: SessionStore;
  readonly #options: Required<TokenIssuerOptions>;

  constructor(keys: SigningKeys, sessions: SessionStore, options: TokenIssuerOptions) {
    this.#keys = keys;
    this.#sessions = sessions;
    this.#options = { accessTtlSeconds: 300, ...options };
  }

  /** Issues an access token, plus a session and refresh token when `session` is set. */
  async issue(
    subject: TokenSubject,
    scopes: string[],
    options: { session: boolean },
  ): Promise<TokenResponse & { sessionId?: string }> {
    if (!options.session) {
      return this.#response(subject, scopes, undefined);
    }

    const opened = await this.#sessions.open({
      userId: subject.sub,
      ...(subject.clientId === undefined ? {} : { clientId: subject.clientId }),
      scopes,
    });
    const response = await this.#response(subject, scopes, opened.sessionId);

    return {
      ...response,
      ...this.#limits(opened.expiresAt),
      refresh_token: opened.refreshToken,
      sessionId: opened.sessionId,
    };
  }

  /** Issues a new access token for an existing session (after a refresh rotation). */
  async reissue(
    subject: TokenSubject,
    scopes: string[],
    session: { sessionId: string; refreshToken: string; expiresAt: Date },
  ): Promise<TokenResponse> {
    const response = await this.#response(subject, scopes, session.sessionId);

    return { ...response, ...this.#limits(session.expiresAt), refresh_token: session.refreshToken };
  }

  // A client shows its own session warnings from the hub's limits, not from guesses.
  #limits(expiresAt: Date): Pick<TokenResponse, 'session_expires_at' | 'idle_timeout'> {
    return {
      session_expires_at: Math.floor(expiresAt.getTime() / 1000),
      idle_timeout: this.#sessions.idleSeconds,
    };
  }

  async #response(
    subject: TokenSubject,
    scopes: string[],
    sessionId: string | undefined,
  ): Promise<TokenResponse> {
    const claims = {
      sub: subject.sub,
      role: subject.role,
      units: subject.units,
      scope: scopes.join(' '),
      ...(sessionId === undefined ? {} : { sid: sessionId }),
      ...(subject.patientId === undefined ? {} : { patient: subject.patientId }),
      ...(subject.practitionerId === undefined ? {} : { practitioner: subject.practitionerId }),
      ...(subject.clientId === undefined ? {} : { client_id: subject.clientId }),
    };
    const ttl = this.#options.accessTtlSeconds;
    const accessToken = await this.#keys.sign(claims, {
      issuer: this.#options.issuer,
      audience: this.#options.audience,
      ttlSeconds: ttl,
    });

    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ttl,
      scope: scopes.join(' '),
      ...(subject.patientId === undefined ? {} : { patient: subject.patientId }),
    };
  }
}
