import { createHash, randomBytes } from 'node:crypto';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestGateway, type TestGateway } from '../testing/harness.js';

// Refresh tokens of confidential clients need the client's authentication [RFC 6749 6]; a
// disabled user's refresh is refused and audited; a locked account answers as a wrong
// password does, so it does not tell which usernames exist.

let t: TestGateway;
const REDIRECT = 'http://127.0.0.1:9/callback';
const SECRET = 'confidential-app-secret-0123456789abcdef';
const PASSWORD = 'tRx8-v2Lq-9mZe-44';

const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
  redirect: 'manual' as const,
});
const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});
const login = (username: string, password: string) =>
  fetch(`${t.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });

test.before(async () => {
  t = await startTestGateway({ lockout: { maxFailures: 2 } });
  await t.gateway.clients.register({
    id: 'conf-app',
    confidential: true,
    secret: SECRET,
    redirectUris: [REDIRECT],
    scopes: ['patient/*.read'],
  });
  await t.gateway.users.create({
    username: 'pat-two',
    password: PASSWORD,
    role: 'patient',
    patientId: 'p-two',
  });
  await t.gateway.users.create({
    username: 'pat-three',
    password: PASSWORD,
    role: 'patient',
    patientId: 'p-three',
  });
});

test.after(async () => {
  await t.close();
});

async function confidentialRefreshToken(): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorized = await fetch(
    `${t.url}/oauth2/authorize`,
    form({
      aud: `${t.url}/fhir`,
      response_type: 'code',
      client_id: 'conf-app',
      redirect_uri: REDIRECT,
      scope: 'patient/*.read',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      username: 'pat-two',
      password: PASSWORD,
    }),
  );
  assert.is(authorized.status, 302);
  const code = new URL(authorized.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const exchange = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
  const res = await fetch(
    `${t.url}/oauth2/token`,
    form({ ...exchange, code_verifier: verifier }, basic('conf-app', SECRET)),
  );
  assert.is(res.status, 200);

  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

test('a confidential client’s refresh token works only with that client’s authentication', async () => {
  const token = await confidentialRefreshToken();
  const refresh = (headers: Record<string, string>, extra: Record<string, string> = {}) =>
    fetch(
      `${t.url}/oauth2/token`,
      form({ grant_type: 'refresh_token', refresh_token: token, ...extra }, headers),
    );

  const anonymous = await refresh({});
  assert.is(anonymous.status, 401);
  assert.is(((await anonymous.json()) as { error: string }).error, 'invalid_client');
  assert.is((await refresh(basic('conf-app', 'x'.repeat(40)))).status, 401);
  assert.is((await refresh({}, { client_id: 'demo-system', client_secret: SECRET })).status, 401);
  const good = await refresh(basic('conf-app', SECRET));
  assert.is(good.status, 200, 'refused attempts did not spend the token');
  const { rows } = await t.db.query(
    `select 1 from audit.events where action = 'refresh' and outcome = 'denied'
       and detail->>'reason' = 'CLIENT_AUTH'`,
  );
  assert.is(rows.length, 3);
});

test('a refresh for a user disabled since is refused, audited, and ends the session', async () => {
  const res = await login('pat-three', PASSWORD);
  assert.is(res.status, 200);
  const { refresh_token } = (await res.json()) as { refresh_token: string };
  await t.db.query(`update auth.users set disabled = true where username = 'pat-three'`);

  const refused = await fetch(
    `${t.url}/oauth2/token`,
    form({ grant_type: 'refresh_token', refresh_token }),
  );
  assert.is(refused.status, 400);
  const { rows } = await t.db.query<{ actor_sub: string }>(
    `select actor_sub from audit.events where action = 'refresh' and outcome = 'denied'
       and detail->>'reason' = 'NO_ACTIVE_USER'`,
  );
  assert.is(rows.length, 1);
  const sessions = await t.db.query(
    `select 1 from auth.sessions where revoked_reason = 'user-disabled'`,
  );
  assert.is(sessions.rows.length, 1);
});

test('a locked account answers exactly as an unknown username does', async () => {
  for (let i = 0; i < 2; i += 1) {
    assert.is((await login('pat-two', 'wrong-password-123')).status, 401);
  }
  const locked = await login('pat-two', PASSWORD);
  const unknown = await login('no-such-user', PASSWORD);

  assert.is(locked.status, unknown.status);
  assert.equal(await locked.json(), await unknown.json());
  const { rows } = await t.db.query(`select 1 from audit.events where action = 'lockout'`);
  assert.ok(rows.length >= 1, 'the audit trail still says it was a lockout');
});

test.run();
