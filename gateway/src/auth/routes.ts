import { Hono, type Context, type MiddlewareHandler } from 'hono';

import { GatewayError } from '../errors.js';
import type { GatewayEnv } from '../http/env.js';
import { renderLoginForm } from './login-form.js';
import type { AuthService, RequestMeta } from './service.js';
import { LoginError } from './users.js';

type OAuthStatus = 400 | 401;

function oauthError(c: Context<GatewayEnv>, status: OAuthStatus, error: string, text: string) {
  c.header('Cache-Control', 'no-store');

  return c.json({ error, error_description: text }, status);
}

function metaOf(c: Context<GatewayEnv>): RequestMeta {
  return { source: c.get('clientAddress'), requestId: c.get('requestId') };
}

// [RFC 6749 2.3.1: client_secret_basic, or client_id/client_secret in the form]
function clientCredentialsOf(c: Context<GatewayEnv>, form: Record<string, string>) {
  const basic = /^Basic\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (basic !== undefined) {
    const [id, secret] = Buffer.from(basic, 'base64').toString().split(':');

    return { id: decodeURIComponent(id ?? ''), secret: decodeURIComponent(secret ?? '') };
  }

  return { id: form.client_id ?? '', secret: form.client_secret ?? '' };
}

// A locked account answers as a wrong password does: an unknown username never locks, so
// a distinct answer would tell a guesser which usernames exist [OWASP ASVS 2.2.1]. The
// audit trail still records the lockout.
function loginFailure(c: Context<GatewayEnv>, error: LoginError) {
  const text = error.code === 'MFA_REQUIRED' ? 'mfa_required' : 'invalid credentials';

  return oauthError(c, 401, 'invalid_grant', text);
}

// [SMART App Launch 2.0 2.0.6: `aud` is required and must name the FHIR server the app
// will use, so a token cannot be phished for another server]
function audienceMatches(aud: string | undefined, fhirBaseUrl: string): boolean {
  const strip = (url: string) => url.replace(/\/+$/, '');

  return aud !== undefined && strip(aud) === strip(fhirBaseUrl);
}

async function formOf(c: Context<GatewayEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody();

  return Object.fromEntries(
    Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * The built-in IdP's HTTP surface: `POST /auth/login` (JSON, first-party console),
 * `POST /auth/logout`, and the OAuth 2.0 endpoints `GET|POST /oauth2/authorize` (code
 * flow, PKCE S256 required) and `POST /oauth2/token` (authorization_code, refresh_token,
 * client_credentials). The authorize endpoint refuses an `aud` other than `fhirBaseUrl`.
 *
 * @example
 * ```ts
 * app.route('/', authRoutes(authService, requireBearer(authenticate), `${issuer}/fhir`));
 * ```
 */
export function authRoutes(
  auth: AuthService,
  bearer: MiddlewareHandler<GatewayEnv>,
  fhirBaseUrl: string,
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const badAudience = (c: Context<GatewayEnv>) =>
    oauthError(c, 400, 'invalid_request', `aud must be the FHIR base URL ${fhirBaseUrl}`);

  app.post('/auth/login', async (c) => {
    const body = await c.req.json<Record<string, unknown>>().catch(() => ({}));
    const { username, password, totp } = body as Record<string, string | undefined>;
    if (typeof username !== 'string' || typeof password !== 'string') {
      return oauthError(c, 400, 'invalid_request', 'username and password are required');
    }
    try {
      c.header('Cache-Control', 'no-store');

      return c.json(await auth.login({ username, password, totp }, metaOf(c)));
    } catch (error) {
      if (error instanceof LoginError) {
        return loginFailure(c, error);
      }
      throw error;
    }
  });

  app.post('/auth/logout', bearer, async (c) => {
    const caller = c.get('caller');
    if (caller.sessionId === undefined) {
      throw new GatewayError('INVALID', 'this token has no session');
    }
    await auth.logout(caller.sessionId, caller, metaOf(c));

    return c.body(null, 204);
  });

  app.post('/oauth2/token', async (c) => {
    const form = await formOf(c);
    c.header('Cache-Control', 'no-store');
    try {
      switch (form.grant_type) {
        case 'refresh_token': {
          const client = clientCredentialsOf(c, form);

          return c.json(await auth.refresh(form.refresh_token ?? '', client, metaOf(c)));
        }
        case 'client_credentials': {
          const { id, secret } = clientCredentialsOf(c, form);

          return c.json(await auth.clientCredentials(id, secret, form.scope ?? '', metaOf(c)));
        }
        case 'authorization_code': {
          const client = clientCredentialsOf(c, form);
          const exchange = {
            code: form.code ?? '',
            clientId: client.id,
            clientSecret: client.secret,
            redirectUri: form.redirect_uri ?? '',
            verifier: form.code_verifier ?? '',
          };

          return c.json(await auth.exchangeCode(exchange, metaOf(c)));
        }
        default:
          return oauthError(c, 400, 'unsupported_grant_type', 'unsupported grant_type');
      }
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'UNAUTHENTICATED') {
        const kind = error.message === 'invalid_client' ? 'invalid_client' : 'invalid_grant';

        return oauthError(c, kind === 'invalid_client' ? 401 : 400, kind, 'refused');
      }
      if (error instanceof GatewayError && error.code === 'INVALID') {
        return oauthError(c, 400, 'invalid_grant', 'refused');
      }
      throw error;
    }
  });

  app.get('/oauth2/authorize', (c) => {
    const query = c.req.query();
    if (!audienceMatches(query.aud, fhirBaseUrl)) {
      return badAudience(c);
    }

    return c.html(renderLoginForm(query));
  });

  app.post('/oauth2/authorize', async (c) => {
    const form = await formOf(c);
    const redirectUri = form.redirect_uri ?? '';
    // [RFC 7636 4.3, SMART App Launch 2.0: PKCE with S256 is required]
    if (form.response_type !== 'code' || form.code_challenge_method !== 'S256') {
      return oauthError(c, 400, 'invalid_request', 'response_type=code and S256 PKCE required');
    }
    if (!audienceMatches(form.aud, fhirBaseUrl)) {
      return badAudience(c);
    }
    let user;
    try {
      user = await auth.authenticateUser(
        { username: form.username ?? '', password: form.password ?? '', totp: form.totp },
        metaOf(c),
      );
    } catch (error) {
      if (error instanceof LoginError) {
        return c.html(renderLoginForm(form, 'Sign-in failed.'), 401);
      }
      throw error;
    }
    const code = await auth.authorize(user, {
      clientId: form.client_id ?? '',
      redirectUri,
      scope: form.scope ?? '',
      challenge: form.code_challenge ?? '',
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    if (form.state !== undefined) {
      target.searchParams.set('state', form.state);
    }

    return c.redirect(target.toString(), 302);
  });

  return app;
}
