import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VisitError } from './errors.js';
import { createVisitTokenIssuer, verifyVisitToken } from './tokens.js';

const secret = randomBytes(32);
const base = {
  appointmentId: 'apt-42',
  userId: 'user-7',
  role: 'patient' as const,
  displayName: 'Pat',
};

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (error) {
    assert.instance(error, VisitError);
    assert.is((error as VisitError).code, code);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('a minted token verifies to the same appointment, user and role', async () => {
  const token = await createVisitTokenIssuer(secret).issue({ ...base, ttlSeconds: 120 });
  const claims = await verifyVisitToken(token, secret);

  assert.is(claims.appointmentId, 'apt-42');
  assert.is(claims.userId, 'user-7');
  assert.is(claims.role, 'patient');
  assert.is(claims.displayName, 'Pat');
  assert.is(claims.patientRef, undefined);
  assert.ok(claims.expiresAt - Date.now() / 1000 <= 121);
});

test('host tokens carry the patient reference for the vitals panel', async () => {
  const token = await createVisitTokenIssuer(secret).issue({
    ...base,
    role: 'host',
    patientRef: 'Patient/p-1',
  });

  assert.is((await verifyVisitToken(token, secret)).patientRef, 'Patient/p-1');
});

test('a token names its holder by FHIR reference, and only by a well-formed one', async () => {
  const issuer = createVisitTokenIssuer(secret);
  const token = await issuer.issue({ ...base, role: 'host', actorRef: 'Practitioner/doc-1' });

  assert.is((await verifyVisitToken(token, secret)).actorRef, 'Practitioner/doc-1');
  try {
    await issuer.issue({ ...base, actorRef: 'Ada Lovelace' });
    assert.unreachable('a free-text actorRef must be refused');
  } catch (error) {
    assert.instance(error, TypeError);
  }
});

test('a token signed with another key is rejected', async () => {
  const token = await createVisitTokenIssuer(randomBytes(32)).issue(base);
  await rejects(verifyVisitToken(token, secret), 'TOKEN_INVALID');
});

test('an expired token is rejected', async () => {
  const token = await createVisitTokenIssuer(secret).issue({ ...base, ttlSeconds: 60 });
  const later = new Date(Date.now() + 61_000);
  await rejects(verifyVisitToken(token, secret, { currentDate: later }), 'TOKEN_INVALID');
});

test('a JWT for another audience is rejected', async () => {
  const token = await new SignJWT({ apt: 'apt-42', role: 'patient' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('sparkden-gateway')
    .setAudience('sparkden-api')
    .setSubject('user-7')
    .setJti('j')
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(secret);
  await rejects(verifyVisitToken(token, secret), 'TOKEN_INVALID');
});

test('a token living longer than 30 minutes is rejected even if validly signed', async () => {
  const token = await new SignJWT({ apt: 'apt-42', role: 'patient' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('sparkden-gateway')
    .setAudience('sparkden-sfu:visit')
    .setSubject('user-7')
    .setJti('j')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(secret);
  await rejects(verifyVisitToken(token, secret), 'TOKEN_INVALID');
});

test('an unknown role in the claims is rejected', async () => {
  const token = await new SignJWT({ apt: 'apt-42', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('sparkden-gateway')
    .setAudience('sparkden-sfu:visit')
    .setSubject('user-7')
    .setJti('j')
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(secret);
  await rejects(verifyVisitToken(token, secret), 'TOKEN_INVALID');
});

test('the issuer refuses bad lifetimes, roles and short secrets', async () => {
  const issuer = createVisitTokenIssuer(secret);
  for (const ttlSeconds of [0, 10, 3600]) {
    try {
      await issuer.issue({ ...base, ttlSeconds });
      assert.unreachable(`ttl ${ttlSeconds} accepted`);
    } catch (error) {
      assert.instance(error, TypeError);
    }
  }
  try {
    await issuer.issue({ ...base, role: 'root' as 'host' });
    assert.unreachable('role accepted');
  } catch (error) {
    assert.instance(error, TypeError);
  }
  assert.throws(() => createVisitTokenIssuer(randomBytes(8)), /at least 32 bytes/);
});

test('asymmetric keys: gateway signs with Ed25519, SFU verifies with the public key', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const token = await createVisitTokenIssuer(privateKey, { alg: 'EdDSA' }).issue(base);

  assert.is((await verifyVisitToken(token, publicKey)).userId, 'user-7');
  await rejects(verifyVisitToken(token, secret), 'TOKEN_INVALID');
});

test.run();
