import { ApiError, requestJson } from './http.js';
import {
  DEFAULT_ABSOLUTE_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  session,
  type EndReason,
  type Role,
  type SessionData,
} from './session.js';
import { decodeJwtClaims, readRole } from './jwt.js';

/** The hub's token answer; both the OAuth2 snake_case and camelCase spellings are read. */
interface TokenResponse {
  access_token?: string;
  accessToken?: string;
  refresh_token?: string;
  refreshToken?: string;
  expires_in?: number;
  expiresIn?: number;
  idle_timeout?: number;
  idleTimeoutSec?: number;
  absoluteExpiresAt?: string | number;
  /** When the session ends whatever its use, in seconds since the epoch. */
  session_expires_at?: number;
  mfaRequired?: boolean;
  mfa_required?: boolean;
  mfaToken?: string;
  user?: { displayName?: string; name?: string };
  /** SMART launch context: the patient of a patient-role token. */
  patient?: string;
}

/** The result of a password step: signed in, or a second factor is needed. */
export type LoginResult = { status: 'signed-in' } | { status: 'mfa-required'; mfaToken?: string };

/** The endpoints of the hub's local identity provider. */
export const AUTH_PATHS = {
  login: '/auth/login',
  token: '/oauth2/token',
  logout: '/auth/logout',
} as const;

function toEpoch(value: string | number | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }

  return typeof value === 'number' ? value * (value < 1e12 ? 1000 : 1) : Date.parse(value);
}

/** Turns a token answer into session data, reading who the user is from the JWT claims. */
export function toSessionData(body: TokenResponse, previous?: SessionData): SessionData {
  const accessToken = body.accessToken ?? body.access_token;
  if (!accessToken) {
    throw new ApiError('SERVER', 'The hub answered without an access token.');
  }

  const claims = decodeJwtClaims(accessToken);
  const expiresIn = body.expiresIn ?? body.expires_in;
  const accessExpiresAt =
    typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (expiresIn ?? 300) * 1000;
  const idleSec = body.idleTimeoutSec ?? body.idle_timeout;
  const role: Role = readRole(claims) ?? previous?.role ?? 'patient';

  return {
    accessToken,
    refreshToken: body.refreshToken ?? body.refresh_token ?? previous?.refreshToken,
    accessExpiresAt,
    absoluteExpiresAt:
      toEpoch(body.session_expires_at ?? body.absoluteExpiresAt) ??
      previous?.absoluteExpiresAt ??
      Date.now() + DEFAULT_ABSOLUTE_TIMEOUT_MS,
    idleTimeoutMs: idleSec ? idleSec * 1000 : (previous?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS),
    sub: typeof claims.sub === 'string' ? claims.sub : (previous?.sub ?? ''),
    role,
    units: Array.isArray(claims.units) ? claims.units.map(String) : (previous?.units ?? []),
    patientId:
      body.patient ??
      (typeof claims.patientId === 'string'
        ? claims.patientId
        : typeof claims.patient === 'string'
          ? claims.patient
          : previous?.patientId),
    practitionerId:
      typeof claims.practitioner === 'string' ? claims.practitioner : previous?.practitionerId,
    displayName:
      body.user?.displayName ??
      body.user?.name ??
      (typeof claims.name === 'string' ? claims.name : undefined) ??
      previous?.displayName,
  };
}

/**
 * Signs in with a user name, a password and, for staff, the current TOTP code.
 *
 * @throws {ApiError} `UNAUTHORIZED` for a wrong password or code (message `account_locked`
 *   for a locked account).
 * @example
 * ```ts
 * const r = await logIn({ username, password });
 * if (r.status === 'mfa-required') await logIn({ username, password, totp: '123456' });
 * ```
 */
export async function logIn(input: {
  username: string;
  password: string;
  totp?: string;
  mfaToken?: string;
}): Promise<LoginResult> {
  const body = await requestJson<TokenResponse>(AUTH_PATHS.login, {
    method: 'POST',
    body: input,
    anonymous: true,
  }).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 401 && !input.totp && isMfaMessage(error)) {
      const answer: TokenResponse = { mfaRequired: true };

      return answer;
    }
    throw error;
  });

  if (body.mfaRequired || body.mfa_required) {
    return { status: 'mfa-required', mfaToken: body.mfaToken };
  }
  session.start(toSessionData(body));

  return { status: 'signed-in' };
}

function isMfaMessage(error: ApiError): boolean {
  return /mfa_required/i.test(error.message);
}

/**
 * Ends the session here at once and then at the hub, which revokes the refresh token. A hub
 * that cannot be reached does not keep the user signed in on this screen.
 */
export async function logOut(reason: EndReason = 'signed-out'): Promise<void> {
  const data = session.current();
  if (!data) {
    return;
  }

  session.expire(reason);
  await requestJson(AUTH_PATHS.logout, {
    method: 'POST',
    headers: { authorization: `Bearer ${data.accessToken}` },
    anonymous: true,
  }).catch(() => undefined);
}

session.setRefresher(async (data) => {
  if (!data.refreshToken) {
    return undefined;
  }

  // [RFC 6749 6: refreshing an access token]
  const body = await requestJson<TokenResponse>(AUTH_PATHS.token, {
    method: 'POST',
    form: { grant_type: 'refresh_token', refresh_token: data.refreshToken },
    anonymous: true,
  });

  return toSessionData(body, data);
});
