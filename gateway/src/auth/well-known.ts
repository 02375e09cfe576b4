import { Hono } from 'hono';

import type { GatewayEnv } from '../http/env.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * Discovery documents: the JWKS of the built-in IdP, its OpenID configuration, and the
 * SMART on FHIR configuration [SMART App Launch 2.0 2.0.2: /.well-known/smart-configuration].
 *
 * @example
 * ```ts
 * app.route('/', wellKnownRoutes(keys, 'https://hub.example'));
 * ```
 */
export function wellKnownRoutes(keys: SigningKeys, issuer: string): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const base = issuer.replace(/\/$/, '');

  app.get('/.well-known/jwks.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');

    return c.json(keys.jwks());
  });

  app.get('/.well-known/openid-configuration', (c) =>
    c.json({
      issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      id_token_signing_alg_values_supported: ['ES256'],
      subject_types_supported: ['public'],
    }),
  );

  app.get('/.well-known/smart-configuration', (c) =>
    c.json({
      issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
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
        'context-standalone-patient',
        'permission-patient',
        'permission-user',
        'permission-v1',
        'permission-v2',
        'permission-offline',
      ],
    }),
  );

  return app;
}
