import type { Role } from '../access/principal.js';
import type { AuditFn } from '../audit/trail.js';
import { GatewayError } from '../errors.js';
import type { ClientRegistry } from './clients.js';
import type { AuthorizationCodes } from './codes.js';
import { grantScopes } from './scopes.js';
import { RefreshError, type SessionStore } from './sessions.js';
import type { TokenIssuer, TokenResponse, TokenSubject } from './token-issuer.js';
import { LoginError, type User, type UserDirectory } from './users.js';

/** The most each role's own login grants; RBAC/ABAC narrow it further per request. */
const ROLE_SCOPES: Record<Role, string[]> = {
  patient: ['patient/*.cruds'],
  clinician: ['user/*.cruds'],
  nurse: ['user/*.cruds'],
  billing: ['user/*.cruds'],
  'it-admin': ['user/*.cruds'],
  system: [],
};

/** Where a request came from, for the audit trail. */
export interface RequestMeta {
  source?: string | undefined;
  requestId?: string | undefined;
}

/** The pieces {@link AuthService} drives. */
export interface AuthServiceDeps {
  users: UserDirectory;
  clients: ClientRegistry;
  codes: AuthorizationCodes;
  sessions: SessionStore;
  tokens: TokenIssuer;
  audit: AuditFn;
}

/**
 * The built-in IdP's flows: password + TOTP login, refresh rotation, client credentials,
 * and the authorization code flow with PKCE. Each outcome is audited.
 *
 * @example
 * ```ts
 * const tokens = await auth.login({ username, password, totp }, { source: ip });
 * ```
 */
export class AuthService {
  readonly #d: AuthServiceDeps;

  constructor(deps: AuthServiceDeps) {
    this.#d = deps;
  }

  /** Authenticates a user (password, then TOTP for staff); throws {@link LoginError}. */
  async authenticateUser(
    input: { username: string; password: string; totp?: string | undefined },
    meta: RequestMeta,
  ): Promise<User> {
    try {
      const user = await this.#d.users.login(input.username, input.password, input.totp);
      await this.#audit('login', 'success', meta, user);

      return user;
    } catch (error) {
      if (error instanceof LoginError) {
        const action = error.code === 'LOCKED' ? 'lockout' : 'login';
        const actor = error.userId === undefined ? undefined : { sub: error.userId, role: '' };
        await this.#d.audit({
          action,
          actor,
          outcome: 'denied',
          ...meta,
          detail: { reason: error.code },
        });
      }
      throw error;
    }
  }

  /** First-party login: returns an access token and a rotating refresh token. */
  async login(
    input: { username: string; password: string; totp?: string | undefined },
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const user = await this.authenticateUser(input, meta);
    const { sessionId: _sessionId, ...tokens } = await this.#d.tokens.issue(
      subjectOf(user),
      ROLE_SCOPES[user.role],
      { session: true },
    );

    return tokens;
  }

  /**
   * Rotates a refresh token; reuse revokes the session and is audited. A token issued to a
   * confidential client is only honoured for that client, authenticated [RFC 6749 6: the
   * client MUST authenticate, and the token must have been issued to it]; one whose user
   * has since been disabled ends the session.
   */
  async refresh(
    refreshToken: string,
    client: { id: string; secret: string },
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const owner = await this.#d.sessions.clientOf(refreshToken);
    if (owner !== undefined && owner !== null && !(await this.#mayRefresh(owner, client))) {
      const actor = { sub: `client:${owner}`, role: 'system' };
      const detail = { reason: 'CLIENT_AUTH' };
      await this.#d.audit({ action: 'refresh', actor, outcome: 'denied', ...meta, detail });
      throw new GatewayError('UNAUTHENTICATED', 'invalid_client');
    }
    let rotated;
    try {
      rotated = await this.#d.sessions.rotate(refreshToken);
    } catch (error) {
      const reason = error instanceof RefreshError ? error.reason : 'ERROR';
      await this.#d.audit({ action: 'refresh', outcome: 'denied', ...meta, detail: { reason } });
      throw error;
    }
    const user = rotated.userId === null ? undefined : await this.#d.users.get(rotated.userId);
    if (user === undefined) {
      await this.#d.sessions.revoke(rotated.sessionId, 'user-disabled');
      await this.#d.audit({
        action: 'refresh',
        ...(rotated.userId === null ? {} : { actor: { sub: rotated.userId, role: '' } }),
        outcome: 'denied',
        ...meta,
        detail: { reason: 'NO_ACTIVE_USER' },
      });
      throw new GatewayError('UNAUTHENTICATED', 'the session has no active user');
    }
    await this.#audit('refresh', 'success', meta, user);
    const subject = { ...subjectOf(user), ...clientOf(rotated.clientId) };

    return this.#d.tokens.reissue(subject, rotated.scopes, rotated);
  }

  // A confidential client authenticates as the token's own client; a public one may only
  // name itself, if it names anyone.
  async #mayRefresh(owner: string, client: { id: string; secret: string }): Promise<boolean> {
    const registered = await this.#d.clients.get(owner);
    if (registered === undefined) {
      return false;
    }
    if (!registered.confidential) {
      return client.id === '' || client.id === owner;
    }

    return (
      client.id === owner &&
      (await this.#d.clients.authenticate(owner, client.secret)) !== undefined
    );
  }

  /** Ends the caller's session. */
  async logout(sessionId: string, actor: { sub: string; role: string }, meta: RequestMeta) {
    await this.#d.sessions.revoke(sessionId, 'logout');
    await this.#d.audit({ action: 'logout', actor, outcome: 'success', ...meta });
  }

  /** OAuth 2.0 client credentials [RFC 6749 4.4] for system clients. */
  async clientCredentials(
    clientId: string,
    secret: string,
    scope: string,
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const client = await this.#d.clients.authenticate(clientId, secret);
    const actor = { sub: `client:${clientId}`, role: 'system' };
    if (client === undefined) {
      await this.#d.audit({ action: 'token', actor, outcome: 'denied', ...meta });
      throw new GatewayError('UNAUTHENTICATED', 'invalid_client');
    }

    const requested = scope === '' ? client.scopes : scope.split(' ');
    const granted = grantScopes(requested, client.scopes).filter((s) => s.startsWith('system/'));
    await this.#d.audit({ action: 'token', actor, outcome: 'success', ...meta });
    const subject: TokenSubject = { ...actor, role: 'system', units: client.units, clientId };

    return this.#d.tokens.issue(subject, granted, { session: false });
  }

  /** Issues a code after the user authenticated at the authorize endpoint. */
  async authorize(
    user: User,
    request: { clientId: string; redirectUri: string; scope: string; challenge: string },
  ): Promise<string> {
    const client = await this.#d.clients.get(request.clientId);
    if (client === undefined || !client.redirectUris.includes(request.redirectUri)) {
      throw new GatewayError('INVALID', 'unknown client or redirect_uri');
    }

    const roleScopes = ROLE_SCOPES[user.role];
    const granted = grantScopes(
      grantScopes(request.scope.split(' ').filter(Boolean), client.scopes),
      roleScopes,
    );

    return this.#d.codes.create({
      userId: user.id,
      clientId: client.id,
      redirectUri: request.redirectUri,
      scopes: granted,
      challenge: request.challenge,
    });
  }

  /** Redeems an authorization code (with its PKCE verifier) for tokens. */
  async exchangeCode(
    input: {
      code: string;
      clientId: string;
      clientSecret: string;
      redirectUri: string;
      verifier: string;
    },
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    // [RFC 6749 4.1.3: a confidential client must authenticate at the token endpoint]
    const client = await this.#d.clients.get(input.clientId);
    const authenticated =
      client !== undefined &&
      (!client.confidential ||
        (await this.#d.clients.authenticate(input.clientId, input.clientSecret)) !== undefined);
    if (!authenticated) {
      await this.#d.audit({ action: 'token', outcome: 'denied', ...meta });
      throw new GatewayError('UNAUTHENTICATED', 'invalid_client');
    }
    const grant = await this.#d.codes.redeem(input.code, input);
    const user = grant === undefined ? undefined : await this.#d.users.get(grant.userId);
    if (grant === undefined || user === undefined) {
      await this.#d.audit({ action: 'token', outcome: 'denied', ...meta });
      throw new GatewayError('INVALID', 'invalid_grant');
    }

    await this.#audit('token', 'success', meta, user);
    const subject = { ...subjectOf(user), clientId: grant.clientId };
    const { sessionId: _sessionId, ...tokens } = await this.#d.tokens.issue(subject, grant.scopes, {
      session: true,
    });

    return tokens;
  }

  #audit(action: string, outcome: 'success' | 'denied', meta: RequestMeta, user: User) {
    return this.#d.audit({
      action,
      actor: { sub: user.id, role: user.role },
      outcome,
      ...meta,
      ...(user.patientId === undefined ? {} : { patientId: user.patientId }),
    });
  }
}

function subjectOf(user: User): TokenSubject {
  return {
    sub: user.id,
    role: user.role,
    units: user.units,
    ...(user.patientId === undefined ? {} : { patientId: user.patientId }),
    ...(user.practitionerId === undefined ? {} : { practitionerId: user.practitionerId }),
  };
}

function clientOf(clientId: string | null): { clientId?: string } {
  return clientId === null ? {} : { clientId };
}
