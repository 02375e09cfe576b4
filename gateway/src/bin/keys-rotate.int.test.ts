/**
 * `sparkden keys rotate jwt|field` and `keys activate jwt`, the operator's commands, run as
 * processes while two hub processes share one keys directory and one database, as several
 * hubs do in production (one volume, rolled one at a time): every token signed by either
 * hub verifies on the other at every step of the JWT rotation, and a hub that did not
 * restart still reads every field after the keyring rotates under it.
 */
import { createScratchDatabase, openDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { currentTotp } from '../auth/totp.js';
import type { DemoUser } from '../demo.js';
import { createGateway } from '../gateway.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('./sparkden.ts', import.meta.url));
const HUB = fileURLToPath(new URL('./fixtures/keys-hub.ts', import.meta.url));
const ISSUER = 'http://hub.test';

interface Hub {
  name: string;
  url: string;
  child: ChildProcess;
}

let scratch: ScratchDatabase;
let dataDir: string;
let keysDir: string;
let users: DemoUser[];
const hubs: Hub[] = [];

async function startHub(name: string): Promise<Hub> {
  const child = spawn(process.execPath, ['--import', 'tsx', HUB], {
    env: {
      ...process.env,
      DATABASE_URL: scratch.url,
      SD_TEST_KEYS_DIR: keysDir,
      SD_TEST_ISSUER: ISSUER,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`hub ${name} exited early (${String(code)})`);
  });
  const lines = createInterface({ input: child.stdout });
  const first = once(lines, 'line').then(([line]) => line as string);
  const line = await Promise.race([first, exited]);
  const { port } = JSON.parse(line) as { port: number };
  const hub = { name, url: `http://127.0.0.1:${port}`, child };
  hubs.push(hub);

  return hub;
}

async function stopHub(hub: Hub): Promise<void> {
  hubs.splice(hubs.indexOf(hub), 1);
  const exited = once(hub.child, 'exit');
  hub.child.kill('SIGKILL');
  await exited;
}

async function login(hub: Hub, role: string): Promise<string> {
  const user = users.find((u) => u.role === role)!;
  const res = await fetch(`${hub.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: user.username,
      password: user.password,
      totp: user.totpSecret === undefined ? undefined : currentTotp(user.totpSecret),
    }),
  });
  assert.is(res.status, 200, `login as ${role} on hub ${hub.name}`);

  return ((await res.json()) as { access_token: string }).access_token;
}

async function readPatient(hub: Hub, token: string) {
  const res = await fetch(`${hub.url}/fhir/Patient/demo-patient-1`, {
    headers: { authorization: `Bearer ${token}` },
  });

  return { status: res.status, body: (await res.json()) as { name?: Array<{ family?: string }> } };
}

async function jwksKids(hub: Hub): Promise<string[]> {
  const res = await fetch(`${hub.url}/.well-known/jwks.json`);

  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).sort();
}

/** Signs in on each hub and reads with that token on the other; returns the kids used. */
async function crossVerify(step: string): Promise<string[]> {
  const [a, b] = hubs;
  const kids: string[] = [];
  for (const [signer, verifier] of [
    [a, b],
    [b, a],
  ]) {
    const token = await login(signer, 'patient');
    const read = await readPatient(verifier, token);
    assert.is(read.status, 200, `${step}: token of hub ${signer.name} on hub ${verifier.name}`);
    kids.push(String(decodeProtectedHeader(token).kid));
  }

  return kids;
}

function sparkden(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, SPARKDEN_DATA_DIR: dataDir, DATABASE_URL: scratch.url },
  });
}

test.before(async () => {
  scratch = await createScratchDatabase('sd_keys_rotate');
  dataDir = mkdtempSync(join(tmpdir(), 'sd-keys-rotate-'));
  keysDir = join(dataDir, 'keys');
  const db = await openDatabase({ url: scratch.url });
  try {
    const g = await createGateway({ db, keysDir, issuer: ISSUER });
    await g.migrate();
    users = await g.seedDemoUsers();
    await g.close();
  } finally {
    await db.close();
  }
  await startHub('A');
  await startHub('B');
});

test.after(async () => {
  for (const hub of [...hubs]) {
    await stopHub(hub);
  }
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('jwt: every token verifies on the other hub at every step of the two-phase rotation', async () => {
  const [kid0] = await crossVerify('before');
  const early = await login(hubs[0], 'patient');

  const published = await sparkden('keys', 'rotate', 'jwt');
  const kid1 = /new JWT signing key (\S+);/.exec(published.stdout)?.[1];
  assert.ok(kid1, published.stdout);
  for (const hub of hubs) {
    assert.equal(await jwksKids(hub), [kid0, kid1].sort(), `JWKS of hub ${hub.name}`);
  }
  assert.equal(await crossVerify('published'), [kid0, kid0], 'the new key does not sign yet');

  await stopHub(hubs[0]);
  await startHub('A2');
  assert.equal(await crossVerify('A restarted'), [kid0, kid0]);

  const activated = await sparkden('keys', 'activate', 'jwt');
  assert.match(activated.stdout, `JWT signing key ${kid1} signs now`);
  assert.equal(await crossVerify('activated'), [kid1, kid1]);
  for (const hub of hubs) {
    assert.is((await readPatient(hub, early)).status, 200, `older token on hub ${hub.name}`);
  }

  const again = await sparkden('keys', 'activate', 'jwt').catch((e: { code: number }) => e);
  assert.is((again as { code?: number }).code, 1, 'nothing left to activate');
});

test('jwt: a key that signs at once still verifies on a hub that never read it', async () => {
  const [signer, verifier] = hubs;
  const { stdout } = await sparkden('keys', 'rotate', 'jwt', '--activate-in', '0');
  const kid = /new JWT signing key (\S+);/.exec(stdout)?.[1];
  assert.ok(kid, stdout);

  const token = await login(signer, 'patient');

  assert.is(decodeProtectedHeader(token).kid, kid);
  assert.is((await readPatient(verifier, token)).status, 200);
});

test('field: hubs that did not restart read every value after the keyring rotates', async () => {
  const tokens = await Promise.all(hubs.map((hub) => login(hub, 'patient')));
  const before = await readPatient(hubs[1], tokens[1]);
  assert.is(before.status, 200);
  const family = before.body.name?.[0]?.family;
  assert.type(family, 'string');

  const { stdout } = await sparkden('keys', 'rotate', 'field');
  const resealed = Number(/; (\d+) stored values re-sealed/.exec(stdout)?.[1]);
  assert.ok(resealed >= 1, stdout);
  const ring = JSON.parse(readFileSync(join(keysDir, 'field-keys.json'), 'utf8')) as {
    active: string;
  };
  const db = await openDatabase({ url: scratch.url });
  try {
    const { rows } = await db.query<{ n: number }>(
      'select count(*)::int as n from clinical.resources where sealed is not null and sealed not like $1',
      [`v1.${ring.active}.%`],
    );
    assert.is(rows[0].n, 0, 'every value is sealed under the new key');
  } finally {
    await db.close();
  }

  for (const [i, hub] of hubs.entries()) {
    const after = await readPatient(hub, tokens[i]);
    assert.is(after.status, 200, `hub ${hub.name} reads after the rotation`);
    assert.is(after.body.name?.[0]?.family, family);
  }
});

test('keys init makes every key once, into SPARKDEN_KEYS_DIR, and keeps them on a rerun', async () => {
  const sharedDir = join(dataDir, 'shared-keys');
  const init = () =>
    run(process.execPath, ['--import', 'tsx', CLI, 'keys', 'init'], {
      env: {
        ...process.env,
        SPARKDEN_DATA_DIR: dataDir,
        SPARKDEN_KEYS_DIR: sharedDir,
        DATABASE_URL: scratch.url,
      },
    });

  const first = await init();
  const files = readdirSync(sharedDir).sort();
  const contents = files.map((f) => readFileSync(join(sharedDir, f), 'utf8'));

  assert.match(first.stdout, new RegExp(`keys in ${sharedDir}`));
  for (const name of [
    'signing-keys.json',
    'field-keys.json',
    'hub-sealing.jwk',
    'visit-token.key',
  ]) {
    assert.ok(files.includes(name), `${name} in ${files.join(', ')}`);
  }
  for (const f of files) {
    assert.is(statSync(join(sharedDir, f)).mode & 0o077, 0, `${f} is private`);
  }

  await init();

  assert.equal(
    files.map((f) => readFileSync(join(sharedDir, f), 'utf8')),
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
