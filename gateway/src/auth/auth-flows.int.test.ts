import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { currentTotp } from './totp.js';

let t: TestGateway;

interface Limits {
  session_expires_at: number;
  idle_timeout: number;
}
let idp: {
  url: string;
  sign: (claims: Record<string, unknown>, aud?: string, exp?: number) => Promise<string>;
  close: () => void;
};

async function startIdp() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' };
  const app = new Hono();
  let url = '';
  app.get('/.well-known/openid-configuration', (c) =>
    c.json({ issuer: url, jwks_uri: `${url}/keys` }),
  );
  app.get('/keys', (c) => c.json({ keys: [jwk] }));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    sign: (
      claims: Record<string, unknown>,
      aud = 'sparkden',
      exp = Math.floor(Date.now() / 1000) + 300,
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
        .setIssuer(url)
        .setAudience(aud)
        .setSubject('ext-7')
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(privateKey),
    close: () => server.close(),
  };
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
  redirect: 'manual' as const,
});
const demoUser = (role: string) => t.demo.find((d) => d.role === role)!;
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test.before(async () => {
  idp = await startIdp();
  t = await startTestGateway({
    oidc: { issuer: idp.url, audience: 'sparkden', clockToleranceSeconds: 30 },
    lockout: { maxFailures: 3 },
  });
});

test.after(async () => {
  await t.close();
  idp.close();
});

test('staff login needs TOTP; a code works once; the token verifies against the published JWKS', async () => {
  const nurse = demoUser('nurse');
  const noCode = await fetch(
    `${t.url}/auth/login`,
    json({ username: nurse.username, password: nurse.password }),
  );
  assert.is(noCode.status, 401);
  assert.is(
    ((await noCode.json()) as { error_description: string }).error_description,
    'mfa_required',
  );

  const code = currentTotp(nurse.totpSecret!);
  const ok = await fetch(
    `${t.url}/auth/login`,
    json({ username: nurse.username, password: nurse.password, totp: code }),
  );
  assert.is(ok.status, 200);
  const tokens = (await ok.json()) as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
  };
  assert.ok(tokens.refresh_token.length > 30);
  assert.ok(tokens.expires_in <= 300);
  const replay = await fetch(
    `${t.url}/auth/login`,
    json({ username: nurse.username, password: nurse.password, totp: code }),
  );
  assert.is(replay.status, 401, 'a TOTP code cannot be replayed');

  const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(tokens.access_token, jwks, {
    issuer: t.url,
    audience: 'sparkden',
  });
  assert.is(payload.role, 'nurse');
  assert.equal(payload.units, ['ward-1']);
});

test('repeated failures lock the account, even for the right password; lockout is audited', async () => {
  const billing = demoUser('billing');
  for (let i = 0; i < 3; i += 1) {
    const res = await fetch(
      `${t.url}/auth/login`,
      json({ username: billing.username, password: 'wrong-password-123' }),
    );
    assert.is(res.status, 401);
  }
  const right = await fetch(
    `${t.url}/auth/login`,
    json({
      username: billing.username,
      password: billing.password,
      totp: currentTotp(billing.totpSecret!),
    }),
  );
  assert.is(right.status, 401);
  assert.is(
    ((await right.json()) as { error_description: string }).error_description,
    'invalid credentials',
  );
  const { rows } = await t.db.query(`select 1 from audit.events where action = 'lockout'`);
  assert.ok(rows.length >= 1);
});

test("a session's token answers carry its limits, and a refresh never moves the absolute one", async () => {
  const before = Math.floor(Date.now() / 1000);
  const login = await fetch(
    `${t.url}/auth/login`,
    json({ username: 'demo-patient', password: demoUser('patient').password }),
  );
  const tokens = (await login.json()) as Limits & { refresh_token: string };
  const refreshed = await fetch(
    `${t.url}/oauth2/token`,
    form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
  );
  const again = (await refreshed.json()) as Limits;

  // [the hub's defaults] 12 h absolute, 15 min idle
  assert.ok(tokens.session_expires_at >= before + 43_200, String(tokens.session_expires_at));
  assert.ok(tokens.session_expires_at <= Math.ceil(Date.now() / 1000) + 43_200);
  assert.is(tokens.idle_timeout, 900);
  assert.is(again.session_expires_at, tokens.session_expires_at);
  assert.is(again.idle_timeout, 900);
});

test('refresh tokens rotate; reusing one revokes the whole session', async () => {
  const first = await fetch(
    `${t.url}/auth/login`,
    json({ username: 'demo-patient', password: demoUser('patient').password }),
  );
  const tokens = (await first.json()) as { access_token: string; refresh_token: string };
  const refresh = (rt: string) =>
    fetch(`${t.url}/oauth2/token`, form({ grant_type: 'refresh_token', refresh_token: rt }));

  const second = await refresh(tokens.refresh_token);
  assert.is(second.status, 200);
  const rotated = (await second.json()) as { access_token: string; refresh_token: string };
  assert.is.not(rotated.refresh_token, tokens.refresh_token);
  assert.is(
    (await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(rotated.access_token))).status,
    200,
  );

  const reuse = await refresh(tokens.refresh_token);
  assert.is(reuse.status, 400);
  assert.is((await refresh(rotated.refresh_token)).status, 400, 'the family is revoked');
  assert.is(
    (await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(rotated.access_token))).status,
    401,
  );
  const { rows } = await t.db.query<{ revoked_reason: string }>(
    `select revoked_reason from auth.sessions where revoked_at is not null`,
  );
  assert.ok(rows.some((r) => r.revoked_reason === 'refresh-reuse'));
});

test('idle and absolute session limits end access; logout ends it too', async () => {
  const login = async () =>
    (await (
      await fetch(
        `${t.url}/auth/login`,
        json({ username: 'demo-patient', password: demoUser('patient').password }),
      )
    ).json()) as { access_token: string };
  const read = (token: string) => fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(token));

  const idle = await login();
  assert.is((await read(idle.access_token)).status, 200);
  await t.db.query(`update auth.sessions set last_seen_at = now() - interval '16 minutes'`);
  assert.is((await read(idle.access_token)).status, 401, 'idle for longer than 15 minutes');

  const absolute = await login();
  await t.db.query(
    `update auth.sessions set expires_at = now() - interval '1 second' where revoked_at is null`,
  );
  assert.is((await read(absolute.access_token)).status, 401, 'past the absolute limit');

  const out = await login();
  assert.is(
    (await fetch(`${t.url}/auth/logout`, { method: 'POST', ...bearer(out.access_token) })).status,
    204,
  );
  assert.is((await read(out.access_token)).status, 401);
});

test('authorization code flow with PKCE: S256 required, verifier checked, code single-use', async () => {
  const redirect = 'http://127.0.0.1:9/callback';
  await t.gateway.clients.register({
    id: 'smart-app',
    confidential: false,
    redirectUris: [redirect],
    scopes: ['patient/*.read', 'patient/Observation.rs'],
  });
  const authorize = async (challenge: string, aud = `${t.url}/fhir`) => {
    const res = await fetch(
      `${t.url}/oauth2/authorize`,
      form({
        aud,
        response_type: 'code',
        client_id: 'smart-app',
        redirect_uri: redirect,
        scope: 'patient/*.read',
        state: 'xyz',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        username: 'demo-patient',
        password: demoUser('patient').password,
      }),
    );
    if (res.status !== 302) {
      return res.status;
    }
    const location = new URL(res.headers.get('location')!);
    assert.is(location.searchParams.get('state'), 'xyz');

    return location.searchParams.get('code')!;
  };
  const codeOf = async (challenge: string) => {
    const code = await authorize(challenge);
    assert.type(code, 'string');

    return code as string;
  };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const exchange = (code: string, v: string) =>
    fetch(
      `${t.url}/oauth2/token`,
      form({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
        client_id: 'smart-app',
        code_verifier: v,
      }),
    );

  const aud = encodeURIComponent(`${t.url}/fhir`);
  const page = await fetch(
    `${t.url}/oauth2/authorize?client_id=smart-app&aud=${aud}&state=%3Cscript%3E`,
  );
  assert.is(page.status, 200);
  const html = await page.text();
  assert.not.match(html, '<script>', 'the form escapes what it echoes');
  assert.match(html, 'name="aud"', 'aud rides along to the POST');
  // [SMART App Launch 2.0 2.0.6: aud must be the FHIR base; absent or another server: refused]
  const elsewhere = encodeURIComponent('https://evil.example/fhir');
  assert.is((await fetch(`${t.url}/oauth2/authorize?client_id=smart-app`)).status, 400);
  assert.is((await fetch(`${t.url}/oauth2/authorize?aud=${elsewhere}`)).status, 400);
  assert.is(await authorize(challenge, 'https://evil.example/fhir'), 400);

  const wrong = await exchange(await codeOf(challenge), randomBytes(32).toString('base64url'));
  assert.is(wrong.status, 400);
  const code = await codeOf(challenge);
  const good = await exchange(code, verifier);
  assert.is(good.status, 200);
  const tokens = (await good.json()) as { access_token: string; scope: string; patient: string };
  assert.is(tokens.scope, 'patient/*.read');
  assert.is(tokens.patient, 'demo-patient-1');
  assert.is((await exchange(code, verifier)).status, 400, 'a code works once');
  assert.is(
    (await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(tokens.access_token))).status,
    200,
  );
  const write = await fetch(`${t.url}/fhir/Observation`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.access_token}`,
      'content-type': 'application/fhir+json',
    },
    body: '{"resourceType":"Observation"}',
  });
  assert.is(write.status, 403, 'patient/*.read does not allow create');
});

test('client credentials: a wrong secret is refused; system tokens read but never write', async () => {
  const bad = await fetch(
    `${t.url}/oauth2/token`,
    form({
      grant_type: 'client_credentials',
      client_id: 'demo-system',
      client_secret: 'x'.repeat(40),
    }),
  );
  assert.is(bad.status, 401);
  const system = await t.login('system');
  assert.is(
    (await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(system.access_token))).status,
    200,
  );
  const write = await fetch(`${t.url}/fhir/Patient/demo-patient-1`, {
    method: 'DELETE',
    ...bearer(system.access_token),
  });
  assert.is(write.status, 403);
});

test('external OIDC: audience, expiry (with clock skew) and claims mapping', async () => {
  const claims = { roles: ['nurse'], units: ['ward-1'] };
  const good = await idp.sign(claims);
  assert.is((await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(good))).status, 200);
  const caller = await t.gateway.authenticateToken(good);
  assert.is(caller.role, 'nurse');
  assert.is(caller.sub, `${idp.url}#ext-7`);

  const otherAudience = await idp.sign(claims, 'someone-else');
  assert.is(
    (await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(otherAudience))).status,
    401,
  );
  const withinSkew = await idp.sign(claims, 'sparkden', Math.floor(Date.now() / 1000) - 10);
  assert.is((await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(withinSkew))).status, 200);
  const expired = await idp.sign(claims, 'sparkden', Math.floor(Date.now() / 1000) - 120);
  assert.is((await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(expired))).status, 401);
  const noRole = await idp.sign({ roles: ['visitor'] });
  assert.is((await fetch(`${t.url}/fhir/Patient/demo-patient-1`, bearer(noRole))).status, 403);
});

test('discovery: SMART configuration at the root and under the FHIR base, public, and every advertised endpoint exists', async () => {
  type Doc = Record<string, unknown> & { capabilities?: string[] };
  const root = await fetch(`${t.url}/.well-known/smart-configuration`);
  const underFhir = await fetch(`${t.url}/fhir/.well-known/smart-configuration`);
  assert.is(root.status, 200);
  assert.is(
    underFhir.status,
    200,
    'SMART apps discover relative to the FHIR base, unauthenticated',
  );
  const smart = (await underFhir.json()) as Doc;
  assert.equal(smart, await root.json());
  assert.not.ok(smart.capabilities?.includes('context-standalone-patient'), 'no patient picker');
  assert.not.ok(smart.capabilities?.includes('sso-openid-connect'), 'no ID tokens');
  const oidc = (await (await fetch(`${t.url}/.well-known/openid-configuration`)).json()) as Doc;
  assert.is(oidc.id_token_signing_alg_values_supported, undefined, 'no ID tokens are issued');
  const rfc8414 = await fetch(`${t.url}/.well-known/oauth-authorization-server`);
  assert.equal(await rfc8414.json(), oidc);

  for (const doc of [smart, oidc]) {
    assert.is(doc.issuer, t.url);
    const jwks = await fetch(String(doc.jwks_uri));
    assert.is(jwks.status, 200);
    assert.ok(((await jwks.json()) as { keys: unknown[] }).keys.length > 0);
    const aud = encodeURIComponent(`${t.url}/fhir`);
    const page = await fetch(`${String(doc.authorization_endpoint)}?aud=${aud}&client_id=x`);
    assert.is(page.status, 200, 'the authorization endpoint serves its sign-in form');
    const token = await fetch(String(doc.token_endpoint), form({ grant_type: 'password' }));
    assert.is(token.status, 400, 'the token endpoint answers (and refuses an unknown grant)');
    assert.is(((await token.json()) as { error: string }).error, 'unsupported_grant_type');
  }
});

test('every failed bearer check is audited: no token, a malformed one, an unknown issuer', async () => {
  const unknownIssuer = await new SignJWT({ role: 'nurse' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://elsewhere.example')
    .setSubject('x')
    .sign(randomBytes(32));
  const cases: [Record<string, string>, string][] = [
    [{}, 'a bearer token is required'],
    [{ authorization: 'Bearer not-a-jwt' }, 'malformed token'],
    [{ authorization: `Bearer ${unknownIssuer}` }, 'token from an unknown issuer'],
  ];
  for (const [headers, reason] of cases) {
    for (const path of ['/fhir/Patient/demo-patient-1', '/audit/verify']) {
      const res = await fetch(`${t.url}${path}`, { headers });
      assert.is(res.status, 401);
      const { rows } = await t.db.query<{ action: string; outcome: string; detail: Doc }>(
        'select action, outcome, detail from audit.events where request_id = $1',
        [res.headers.get('x-request-id')],
      );
      assert.equal(
        rows.map((r) => [r.action, r.outcome, r.detail.reason]),
        [['authenticate', 'failure', reason]],
        `${path} ${reason}`,
      );
    }
  }
});

type Doc = Record<string, unknown>;

test('the password policy is enforced when a user is created', async () => {
  for (const password of ['short', 'aaaaaaaaaaaaaaa', 'new-nurse-password-1']) {
    try {
      await t.gateway.users.create({ username: 'new-nurse', password, role: 'nurse' });
      assert.unreachable(password);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'INVALID', password);
    }
  }
});

test.run();
