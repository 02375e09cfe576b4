import { randomUUID, type KeyObject, type webcrypto } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { VisitError } from './errors.js';

/** Who a participant is in a visit. `host` is the clinician who admits, mutes, kicks, ends. */
export type VisitRole = 'host' | 'patient' | 'guest';

/** What a visit join token grants: one user, one Appointment, one role, for minutes. */
export interface VisitTokenClaims {
  /** FHIR Appointment id the token is bound to; the visit room is keyed by it. */
  appointmentId: string;
  /** Opaque user id (the gateway's subject), never a name or MRN. */
  userId: string;
  role: VisitRole;
  /** Name shown to other participants (lobby list, tiles). Never logged. */
  displayName: string;
  /** FHIR Patient reference for the live-vitals panel; set on host tokens only. */
  patientRef?: string;
  /**
   * The holder's own FHIR reference (`Practitioner/…` for staff, `Patient/…` for the patient),
   * so visit events can name Encounter participants. An opaque id, never a name.
   */
  actorRef?: string;
  /** Unique token id, for audit correlation. */
  tokenId: string;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/** Signing material: a ≥32-byte HMAC secret (HS256) or an asymmetric private key. */
export type VisitTokenKey = Uint8Array | webcrypto.CryptoKey | KeyObject;

/** Verification material: the HMAC secret, the public key, or a JWKS getter from jose. */
export type VisitTokenVerifyKey = Uint8Array | webcrypto.CryptoKey | KeyObject | JWTVerifyGetKey;

export interface VisitTokenIssuerOptions {
  /** JWS algorithm for an asymmetric key (`EdDSA`, `ES256`); HS256 for a secret. */
  alg?: string;
  /** Lifetime when a call gives none. Default 300 s. */
  defaultTtlSeconds?: number;
}

export interface IssueVisitTokenInput {
  appointmentId: string;
  userId: string;
  role: VisitRole;
  displayName: string;
  patientRef?: string;
  /** The holder's FHIR reference; see {@link VisitTokenClaims.actorRef}. */
  actorRef?: string;
  /** 30 s to 30 min; default from the issuer options. */
  ttlSeconds?: number;
}

export interface VisitTokenIssuer {
  issue(input: IssueVisitTokenInput): Promise<string>;
}

const ISSUER = 'sparkden-gateway';
const AUDIENCE = 'sparkden-sfu:visit';
const MAX_TTL_SECONDS = 30 * 60;
const ROLES: readonly VisitRole[] = ['host', 'patient', 'guest'];
// [FHIR R4 Reference.reference: a relative literal reference `Type/id`]
const ACTOR_REF = /^(Patient|Practitioner|PractitionerRole|RelatedPerson)\/[A-Za-z0-9.-]{1,64}$/;

function checkKey(key: VisitTokenKey | VisitTokenVerifyKey): void {
  if (key instanceof Uint8Array && key.byteLength < 32) {
    throw new TypeError('"key" secret must be at least 32 bytes');
  }
}

/**
 * Creates the gateway-side minter of visit join tokens (JWT, signed with `jose`).
 *
 * @example
 * const issuer = createVisitTokenIssuer(secret);
 * const token = await issuer.issue({
 *   appointmentId: 'apt-1', userId: 'u-9', role: 'patient', displayName: 'Ada', ttlSeconds: 300,
 * });
 */
export function createVisitTokenIssuer(
  key: VisitTokenKey,
  options: VisitTokenIssuerOptions = {},
): VisitTokenIssuer {
  checkKey(key);
  const alg = options.alg ?? (key instanceof Uint8Array ? 'HS256' : undefined);
  if (!alg) {
    throw new TypeError('"alg" is required for an asymmetric key');
  }
  const defaultTtl = options.defaultTtlSeconds ?? 300;

  return {
    async issue(input) {
      const ttl = input.ttlSeconds ?? defaultTtl;
      if (!(ttl >= 30 && ttl <= MAX_TTL_SECONDS)) {
        throw new TypeError('"ttlSeconds" must be between 30 and 1800');
      }
      if (!ROLES.includes(input.role)) {
        throw new TypeError(`"role" must be one of ${ROLES.join(', ')}`);
      }
      if (!input.appointmentId || !input.userId) {
        throw new TypeError('"appointmentId" and "userId" are required');
      }
      if (input.actorRef !== undefined && !ACTOR_REF.test(input.actorRef)) {
        throw new TypeError('"actorRef" must be a Patient, Practitioner… reference');
      }

      const jwt = new SignJWT({
        apt: input.appointmentId,
        role: input.role,
        name: input.displayName,
        ...(input.patientRef ? { pat: input.patientRef } : {}),
        ...(input.actorRef ? { ref: input.actorRef } : {}),
      })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(input.userId)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(`${ttl}s`);

      return jwt.sign(key);
    },
  };
}

/**
 * Verifies a visit join token and returns its claims. Throws `VisitError('TOKEN_INVALID')`
 * for a bad signature, wrong audience, missing claim, a lifetime over 30 min, or expiry.
 *
 * @example
 * const claims = await verifyVisitToken(token, secret);
 * claims.appointmentId; // 'apt-1'
 */
export async function verifyVisitToken(
  token: string,
  key: VisitTokenVerifyKey,
  options: { currentDate?: Date } = {},
): Promise<VisitTokenClaims> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new VisitError('TOKEN_INVALID', 'missing visit token');
  }
  checkKey(key);

  let payload;
  try {
    const verifyOptions = {
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      currentDate: options.currentDate,
    };
    const result =
      typeof key === 'function'
        ? await jwtVerify(token, key, verifyOptions)
        : await jwtVerify(token, key, verifyOptions);
    payload = result.payload;
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? 'expired' : 'rejected';
    throw new VisitError('TOKEN_INVALID', `visit token ${reason}`, { cause: error });
  }

  const { apt, role, name, pat, ref, sub, jti, exp, iat } = payload as Record<string, unknown>;
  const valid =
    typeof apt === 'string' &&
    apt.length > 0 &&
    typeof sub === 'string' &&
    typeof jti === 'string' &&
    typeof exp === 'number' &&
    typeof iat === 'number' &&
    ROLES.includes(role as VisitRole) &&
    (pat === undefined || typeof pat === 'string') &&
    (ref === undefined || (typeof ref === 'string' && ACTOR_REF.test(ref)));
  if (!valid) {
    throw new VisitError('TOKEN_INVALID', 'visit token claims malformed');
  }
  if (exp - iat > MAX_TTL_SECONDS) {
    throw new VisitError('TOKEN_INVALID', 'visit token lifetime exceeds 30 minutes');
  }

  return {
    appointmentId: apt,
    userId: sub,
    role: role as VisitRole,
    displayName: typeof name === 'string' ? name : '',
    ...(typeof pat === 'string' ? { patientRef: pat } : {}),
    ...(typeof ref === 'string' ? { actorRef: ref } : {}),
    tokenId: jti,
    expiresAt: exp,
  };
}
