import { decodeJwt, jwtVerify } from 'jose';

import { type Caller, isRole } from '../access/principal.js';
import { GatewayError } from '../errors.js';
import type { ExternalIssuer } from './oidc.js';
import type { SessionStore } from './sessions.js';
import type { SigningKeys } from './signing-keys.js';

/** What {@link createAuthenticator} needs. */
export interface AuthenticatorDeps {
  keys: SigningKeys;
  sessions: SessionStore;
  issuer: string;
  audience: string;
  external?: ExternalIssuer | undefined;
}

/** Resolves a bearer token to the caller it speaks for. */
export type Authenticate = (token: string) => Promise<Caller>;

/**
 * Builds the function that verifies an access token, from the built-in IdP (signature,
 * issuer, audience, expiry, and a live session) or from the configured external issuer.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ keys, sessions, issuer, audience });
 * const caller = await authenticate(token);
 * ```
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  return async (token) => {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch (error) {
      throw new GatewayError('UNAUTHENTICATED', 'malformed token', { cause: error });
    }

    if (iss === deps.issuer) {
      return verifyLocal(deps, token);
    }
    if (deps.external !== undefined && iss === deps.external.issuer) {
      const mapped = await deps.external.verify(token);

      return { ...mapped, issuer: deps.external.issuer };
    }

    throw new GatewayError('UNAUTHENTICATED', 'token from an unknown issuer');
  };
}

async function verifyLocal(deps: AuthenticatorDeps, token: string): Promise<Caller> {
  let claims;
  try {
    const verified = await jwtVerify(token, deps.keys.verifier, {
      issuer: deps.issuer,
      audience: deps.audience,
      clockTolerance: 5,
      typ: 'at+jwt',
    });
    claims = verified.payload;
  } catch (error) {
    throw new GatewayError('UNAUTHENTICATED', 'token rejected', { cause: error });
  }
  if (typeof claims.sub !== 'string' || !isRole(claims.role)) {
    throw new GatewayError('UNAUTHENTICATED', 'token lacks subject or role');
  }

  const sessionId = typeof claims.sid === 'string' ? claims.sid : undefined;
  if (sessionId !== undefined) {
    await deps.sessions.touch(sessionId);
  }
  const units = Array.isArray(claims.units) ? (claims.units as string[]) : [];

  return {
    sub: claims.sub,
    role: claims.role,
    units,
    scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
    issuer: 'local',
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(typeof claims.patient === 'string' ? { patientId: claims.patient } : {}),
    ...(typeof claims.practitioner === 'string' ? { practitionerId: claims.practitioner } : {}),
  };
}
