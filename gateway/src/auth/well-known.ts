import { Hono } from 'hono';

import type { GatewayEnv } from '../http/env.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * The SMART on FHIR configuration [SMART App Launch 2.0 2.0.2]: only what the built-in
 * IdP does. Standalone launch with PKCE, public and symmetric confidential clients, v1 and
 * v2 scopes, refresh tokens. No `context-standalone-patient` (there is no patient picker:
 * a patient's own login carries their patient, staff tokens carry none) and no
 * `sso-openid-connect` (no ID tokens are issued).
 *
 * @example
 * ```ts
 * c.json(smartConfiguration('https://hub.example'));
 * ```
 */
export function smartConfiguration(issuer: string): Record<string, unknown> {
  const base = issuer.replace(/\/$/, '');

  return {
    issuer: base,
    jwks_uri: `${base}/.well-known/jwks.json`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: [
      'patient/*.read',
      'patient/*.rs',
      'patient/*.cruds',
      'user/*.read',
      'user/*.*',
      'user/*.cruds',
      'system/*.read',
      'system/*.rs',
      'offline_access',
    ],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: [
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
      'permission-offline',
    ],
  };
}

/**
 * The authorization server metadata [RFC 8414 2]. The built-in IdP is an OAuth 2.0
 * server, not an OpenID provider: it issues no ID tokens, so no ID-token fields appear.
 */
export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  const base = issuer.replace(/\/$/, '');

  return {
    issuer: base,
    jwks_uri: `${base}/.well-known/jwks.json`,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  };
}

/**
 * Discovery documents: the JWKS of the built-in IdP, its authorization server metadata
 * (at `oauth-authorization-server` and, for clients that only look there,
 * `openid-configuration`), and the SMART configuration (also served under the FHIR base).
 *
 * @example
 * ```ts
 * app.route('/', wellKnownRoutes(keys, 'https://hub.example'));
 * ```
 */
export function wellKnownRoutes(keys: SigningKeys, issuer: string): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const metadata = authorizationServerMetadata(issuer);

  app.get('/.well-known/jwks.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');

    return c.json(keys.jwks());
  });
  app.get('/.well-known/oauth-authorization-server', (c) => c.json(metadata));
  app.get('/.well-known/openid-configuration', (c) => c.json(metadata));
  app.get('/.well-known/smart-configuration', (c) => c.json(smartConfiguration(issuer)));

  return app;
}
