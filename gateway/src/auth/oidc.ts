import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

import { type Role, isRole } from '../access/principal.js';
import { GatewayError } from '../errors.js';

/** What an external issuer's claims map to. */
export interface MappedClaims {
  role: Role;
  units: string[];
  patientId?: string;
  practitionerId?: string;
  scopes: string[];
}

/** Options of an external OIDC issuer whose access tokens the gateway accepts. */
export interface OidcOptions {
  /** The issuer URL; its `/.well-known/openid-configuration` names the JWKS. */
  issuer: string;
  /** The audience tokens must carry (this gateway's client id or API identifier). */
  audience: string;
  /** Tolerated clock difference in seconds (default 60). */
  clockToleranceSeconds?: number;
  /** Skips discovery when given. */
  jwksUri?: string;
  /**
   * Maps verified claims to a role and scope. The default reads `sparkden_role` (or the
   * first known role in `roles`), `units`, `patient`, `practitioner` and `scope`.
   */
  mapClaims?: (claims: JWTPayload) => MappedClaims;
}

/**
 * Verifies access tokens of an external OIDC issuer: discovery, the issuer's JWKS (fetched
 * and cached by jose, refetched on an unknown `kid`), audience and clock skew.
 *
 * @example
 * ```ts
 * const external = new ExternalIssuer({ issuer: 'https://idp.example', audience: 'sparkden' });
 * const claims = await external.verify(token);
 * ```
 */
export class ExternalIssuer {
  readonly #options: OidcOptions;
  #jwks: Promise<JWTVerifyGetKey> | undefined;

  constructor(options: OidcOptions) {
    if (!/^https?:\/\//.test(options.issuer)) {
      throw new TypeError('"oidc.issuer" must be an http(s) URL');
    }

    this.#options = options;
  }

  /** The issuer URL. */
  get issuer(): string {
    return this.#options.issuer;
  }

  /** Verifies `token` and maps its claims; `UNAUTHENTICATED` for anything wrong. */
  async verify(token: string): Promise<{ sub: string } & MappedClaims> {
    let payload: JWTPayload;
    try {
      const { payload: verified } = await jwtVerify(token, await this.#keySet(), {
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        clockTolerance: this.#options.clockToleranceSeconds ?? 60,
      });
      payload = verified;
    } catch (error) {
      if (error instanceof GatewayError) {
        throw error;
      }
      throw new GatewayError('UNAUTHENTICATED', 'external token rejected', { cause: error });
    }
    if (typeof payload.sub !== 'string') {
      throw new GatewayError('UNAUTHENTICATED', 'external token has no subject');
    }

    const mapped = (this.#options.mapClaims ?? defaultMapClaims)(payload);

    return { sub: `${this.#options.issuer}#${payload.sub}`, ...mapped };
  }

  #keySet(): Promise<JWTVerifyGetKey> {
    this.#jwks ??= this.#discover().catch((error: unknown) => {
      this.#jwks = undefined;
      throw new GatewayError('UNAUTHENTICATED', 'OIDC discovery failed', { cause: error });
    });

    return this.#jwks;
  }

  async #discover(): Promise<JWTVerifyGetKey> {
    if (this.#options.jwksUri !== undefined) {
      return createRemoteJWKSet(new URL(this.#options.jwksUri));
    }

    // [OpenID Connect Discovery 1.0 4: the configuration lives under the issuer]
    const base = this.#options.issuer.replace(/\/$/, '');
    const response = await fetch(`${base}/.well-known/openid-configuration`);
    if (!response.ok) {
      throw new Error(`discovery answered ${response.status}`);
    }
    const config = (await response.json()) as { issuer?: string; jwks_uri?: string };
    if (config.issuer !== this.#options.issuer || typeof config.jwks_uri !== 'string') {
      throw new Error('discovery document does not match the issuer');
    }

    return createRemoteJWKSet(new URL(config.jwks_uri));
  }
}

/** The default claims mapping of {@link OidcOptions.mapClaims}. */
export function defaultMapClaims(claims: JWTPayload): MappedClaims {
  const roles: unknown[] = Array.isArray(claims.roles) ? (claims.roles as unknown[]) : [];
  const role = [claims.sparkden_role, ...roles].find(isRole);
  if (role === undefined || role === 'system') {
    throw new GatewayError('FORBIDDEN', 'external token carries no Spark Den role');
  }
  const units = Array.isArray(claims.units)
    ? claims.units.filter((u) => typeof u === 'string')
    : [];
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const fallback = role === 'patient' ? 'patient/*.rs' : 'user/*.cruds';

  return {
    role,
    units: units,
    scopes: scope.some((s) => s.includes('/')) ? scope : [fallback],
    ...(typeof claims.patient === 'string' ? { patientId: claims.patient } : {}),
    ...(typeof claims.practitioner === 'string' ? { practitionerId: claims.practitioner } : {}),
  };
}
