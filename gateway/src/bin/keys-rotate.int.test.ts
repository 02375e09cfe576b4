/**
 * `sparkden keys rotate jwt|field`, the operator's command, run as a process against a hub's
 * data directory and database, then the hub started again on them (a rolling restart):
 * tokens signed before the rotation still verify, new ones carry the new key, and every
 * encrypted field is re-sealed under the new field key and still reads back.
 */
import { createScratchDatabase, openDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { currentTotp } from '../auth/totp.js';
import type { DemoUser } from '../demo.js';
import { createGateway, type Gateway } from '../gateway.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./sparkden.ts', import.meta.url));
const ISSUER = 'http://hub.test';

let scratch: ScratchDatabase;
let dataDir: string;
let users: DemoUser[];

async function withGateway<T>(fn: (g: Gateway) => Promise<T>): Promise<T> {
  const db = await openDatabase({ url: scratch.url });
  try {
    const g = await createGateway({ db, keysDir: join(dataDir, 'keys'), issuer: ISSUER });
    await g.migrate();
    const result = await fn(g);
    await g.close();

    return result;
  } finally {
    await db.close();
  }
}

async function login(g: Gateway, role: string): Promise<string> {
  const user = users.find((u) => u.role === role)!;
  const res = await g.app.request(`${ISSUER}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: user.username,
      password: user.password,
      totp: user.totpSecret === undefined ? undefined : currentTotp(user.totpSecret),
    }),
  });
  assert.is(res.status, 200, `login as ${role}`);

  return ((await res.json()) as { access_token: string }).access_token;
}

function sparkden(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, SPARKDEN_DATA_DIR: dataDir, DATABASE_URL: scratch.url },
  });
}

async function readPatient(g: Gateway, token: string) {
  const res = await g.app.request(`${ISSUER}/fhir/Patient/demo-patient-1`, {
    headers: { authorization: `Bearer ${token}` },
  });

  return { status: res.status, body: (await res.json()) as { name?: Array<{ family?: string }> } };
}

test.before(async () => {
  scratch = await createScratchDatabase('sd_keys_rotate');
  dataDir = mkdtempSync(join(tmpdir(), 'sd-keys-rotate-'));
  users = await withGateway((g) => g.seedDemoUsers());
});

test.after(async () => {
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('jwt: earlier tokens verify after the rotation, new tokens use the new key', async () => {
  const before = await withGateway(async (g) => {
    const token = await login(g, 'patient');
    const jwks = (await (await g.app.request(`${ISSUER}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };

    return { token, kids: jwks.keys.map((k) => k.kid) };
  });
  assert.is(before.kids.length, 1);

  const { stdout } = await sparkden('keys', 'rotate', 'jwt');
  const kid = /new JWT signing key (\S+);/.exec(stdout)?.[1];
  assert.ok(kid, stdout);

  await withGateway(async (g) => {
    const jwks = (await (await g.app.request(`${ISSUER}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    assert.equal(jwks.keys.map((k) => k.kid).sort(), [kid, ...before.kids].sort());
    assert.is((await readPatient(g, before.token)).status, 200, 'the old token still verifies');
    const fresh = await login(g, 'patient');
    assert.is(decodeProtectedHeader(fresh).kid, kid);
    assert.is((await readPatient(g, fresh)).status, 200);
  });
});

test('field: every stored value is re-sealed under the new key and still reads back', async () => {
  const family = await withGateway(async (g) => {
    const p = await readPatient(g, await login(g, 'patient'));
    assert.is(p.status, 200);

    return p.body.name?.[0]?.family;
  });
  assert.type(family, 'string');
  const ringBefore = readFileSync(join(dataDir, 'keys', 'field-keys.json'), 'utf8');

  const { stdout } = await sparkden('keys', 'rotate', 'field');
  const resealed = Number(/; (\d+) stored values re-sealed/.exec(stdout)?.[1]);
  assert.ok(resealed >= 1, stdout);
  assert.is.not(readFileSync(join(dataDir, 'keys', 'field-keys.json'), 'utf8'), ringBefore);

  await withGateway(async (g) => {
    const p = await readPatient(g, await login(g, 'patient'));
    assert.is(p.body.name?.[0]?.family, family);
  });
});

test('keys init makes every key once, into SPARKDEN_KEYS_DIR, and keeps them on a rerun', async () => {
  const keysDir = join(dataDir, 'shared-keys');
  const init = () =>
    run(process.execPath, ['--import', 'tsx', CLI, 'keys', 'init'], {
      env: {
        ...process.env,
        SPARKDEN_DATA_DIR: dataDir,
        SPARKDEN_KEYS_DIR: keysDir,
        DATABASE_URL: scratch.url,
      },
    });

  const first = await init();
  const files = readdirSync(keysDir).sort();
  const contents = files.map((f) => readFileSync(join(keysDir, f), 'utf8'));

  assert.match(first.stdout, new RegExp(`keys in ${keysDir}`));
  for (const name of [
    'signing-keys.json',
    'field-keys.json',
    'hub-sealing.jwk',
    'visit-token.key',
  ]) {
    assert.ok(files.includes(name), `${name} in ${files.join(', ')}`);
  }
  for (const f of files) {
    assert.is(statSync(join(keysDir, f)).mode & 0o077, 0, `${f} is private`);
  }

  await init();

  assert.equal(
    files.map((f) => readFileSync(join(keysDir, f), 'utf8')),
    contents,
  );
});

test('an unknown key kind is refused with the usage', async () => {
  const failed = await sparkden('keys', 'rotate', 'sealing').catch(
    (e: { code: number; stderr: string }) => e,
  );
  assert.is.not((failed as { code?: number }).code, undefined);
  assert.match((failed as { stderr: string }).stderr, /"jwt" or "field"/);
});

test.run();
