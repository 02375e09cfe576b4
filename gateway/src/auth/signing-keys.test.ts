import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { SigningKeys } from './signing-keys.js';

const CLAIMS = { issuer: 'http://hub.test', audience: 'sparkden', ttlSeconds: 60 };
const TEN_MINUTES = 600_000;
let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-signing-keys-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const kidOf = (jwt: string) => decodeProtectedHeader(jwt).kid;

test('a published key verifies on every hub before any hub signs with it', async () => {
  const a = await SigningKeys.load(dir, { reloadIntervalMs: 0 });
  const b = await SigningKeys.load(dir, { reloadIntervalMs: 0 });
  const kid0 = kidOf(await a.sign({ sub: 'u1' }, CLAIMS));
  const operator = await SigningKeys.load(dir);

  const kid1 = await operator.rotate({ activateInMs: TEN_MINUTES });

  assert.equal(
    b
      .jwks()
      .keys.map((k) => k.kid)
      .sort(),
    [kid0, kid1].sort(),
  );
  assert.is(kidOf(await a.sign({ sub: 'u1' }, CLAIMS)), kid0, 'not signing yet');
  assert.is(await operator.activate(), kid1);
  const fresh = await b.sign({ sub: 'u1' }, CLAIMS);
  assert.is(kidOf(fresh), kid1);
  assert.is((await jwtVerify(fresh, a.verifier)).payload.sub, 'u1');
  assert.is(await operator.activate(), undefined, 'nothing left to activate');
});

test('an unknown kid makes the verifier re-read the shared file', async () => {
  const a = await SigningKeys.load(dir, { reloadIntervalMs: 0 });
  const b = await SigningKeys.load(dir, { reloadIntervalMs: 0 });

  const kid = await a.rotate();
  const token = await a.sign({ sub: 'u2' }, CLAIMS);

  assert.is(kidOf(token), kid);
  assert.is((await jwtVerify(token, b.verifier)).payload.sub, 'u2');
});

test('rotating again while a key waits never drops the key that signs', async () => {
  const keys = await SigningKeys.load(dir);
  const signing = kidOf(await keys.sign({}, CLAIMS));

  for (let i = 0; i < 4; i += 1) {
    await keys.rotate({ activateInMs: TEN_MINUTES });
  }

  assert.ok(keys.jwks().keys.some((k) => k.kid === signing));
  assert.is(kidOf(await keys.sign({}, CLAIMS)), signing);
});

test.run();
