/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read loosely here */
import { deriveSealingKey, generateSealingKeyPair } from '@sparkden/protocol';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Principal } from '../api/principal.js';
import { createScratchDatabase, openDatabase, runMigrations, type Database } from '../db/index.js';
import { CertificateAuthority, createAgentCertificateRequest } from '../pki/index.js';
import { Fleet } from './fleet.js';
import { loadHubSealingKey } from './hub-sealing-key.js';
import { fleetMigrations } from './migrations.js';
import { createFleetRoutes, type FleetAction } from './routes.js';

const admin: Principal = { sub: 'it-1', role: 'it-admin', units: ['*'] };

async function exercise(db: Database) {
  await runMigrations(db, { schema: 'fleet', migrations: fleetMigrations });
  const dir = await mkdtemp(join(tmpdir(), 'sd-fleet-'));
  const hubKey = await loadHubSealingKey(dir);
  assert.is((await stat(join(dir, 'hub-sealing.jwk'))).mode & 0o777, 0o600);
  assert.equal((await loadHubSealingKey(dir)).publicKey, hubKey.publicKey, 'reloaded, not remade');
  await rm(dir, { recursive: true, force: true });

  let clock = new Date('2026-12-01T10:00:00Z');
  const ca = await CertificateAuthority.create('fleet test CA');
  const fleet = await Fleet.open({ db, ca, hubKey, now: () => clock });
  const asked: FleetAction[] = [];
  let allow = true;
  const app = new Hono();
  app.onError((e, c) =>
    e instanceof HTTPException ? c.json({ denied: true }, e.status) : c.text(String(e), 500),
  );
  app.route(
    '/api/fleet',
    createFleetRoutes({
      fleet,
      mqttUrl: 'mqtts://127.0.0.1:8883',
      authorize: (_c, action) => {
        asked.push(action);
        if (!allow) {
          return Promise.reject(new HTTPException(403, { message: 'denied' }));
        }

        return Promise.resolve(admin);
      },
    }),
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/fleet${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  // An it-admin issues a token; only its hash is stored.
  const issued = await call('POST', '/tokens', { label: 'clinic 4', config: { devices: [] } });
  assert.is(issued.status, 201);
  const token = issued.json.token as string;
  const raw = await db.query(
    `select count(*)::int8 n from fleet.enrollment_token
                              where token_hash::text like '%' || $1 || '%'`,
    [token],
  );
  assert.is(raw.rows[0]?.n, 0);

  // An agent enrolls.
  const agentKeys = generateSealingKeyPair();
  const { csrPem } = await createAgentCertificateRequest();
  const enrollBody = {
    token,
    csrPem,
    sealingPublicKey: Buffer.from(agentKeys.publicKey).toString('base64url'),
    version: '0.1.0',
  };
  const bad = await call('POST', '/enroll', { ...enrollBody, csrPem: 'nope' });
  assert.is(bad.status, 400);
  assert.is(bad.json.error.code, 'CSR_REJECTED');
  const malformed = await call('POST', '/enroll', { ...enrollBody, sealingPublicKey: 'abc' });
  assert.is(malformed.status, 400);
  assert.match(malformed.json.error.message, /sealingPublicKey/);

  const enrolled = await call('POST', '/enroll', enrollBody);
  assert.is(enrolled.status, 201, 'a refused CSR did not spend the token');
  const agentId = enrolled.json.agentId as string;
  assert.match(agentId, /^agent-[0-9a-f]{16}$/);
  assert.is(enrolled.json.mqttUrl, 'mqtts://127.0.0.1:8883');
  assert.is(enrolled.json.caPem, ca.pem);
  assert.is(enrolled.json.config.version, 1, 'the token config becomes version 1');
  const cert = new X509Certificate(enrolled.json.certificatePem as string);
  assert.match(cert.subject, new RegExp(`CN=${agentId}`));
  const serial = cert.serialNumber.toLowerCase().replace(/^0+/, '');
  assert.ok(fleet.isCertificateAccepted(agentId, serial));

  // Both sides derive the same sealing key.
  const hubPublic = new Uint8Array(Buffer.from(enrolled.json.hubSealingPublicKey, 'base64url'));
  const keyId = enrolled.json.keyId as number;
  const agentSide = deriveSealingKey(agentKeys.privateKey, hubPublic, { agentId, keyId });
  assert.equal(fleet.sealingKey(agentId, keyId), agentSide);
  assert.is(fleet.sealingKey(agentId, keyId + 1), undefined);

  // One-time: the same token again is refused; so are unknown and expired tokens.
  const reused = await call('POST', '/enroll', enrollBody);
  assert.is(reused.status, 401);
  assert.is(reused.json.error.code, 'TOKEN_USED');
  const unknown = await call('POST', '/enroll', { ...enrollBody, token: 'sdt_nope' });
  assert.is(unknown.json.error.code, 'TOKEN_INVALID');
  const shortLived = await fleet.createToken({ createdBy: 'it-1', ttlSeconds: 60 });
  clock = new Date(clock.getTime() + 61_000);
  const expired = await call('POST', '/enroll', { ...enrollBody, token: shortLived.token });
  assert.is(expired.json.error.code, 'TOKEN_EXPIRED');

  // Config push and its acknowledgement through the heartbeat.
  const pushed: number[] = [];
  fleet.on('configChanged', (_id, push) => pushed.push(push.version));
  const put = await call('PUT', `/agents/${agentId}/config`, { config: { cadence: 30 } });
  assert.is(put.status, 200);
  assert.is(put.json.version, 2);
  assert.equal(pushed, [2]);
  assert.equal(
    (await fleet.latestConfigs()).map((c) => [c.agentId, c.push.version, c.push.config]),
    [[agentId, 2, { cadence: 30 }]],
  );
  await fleet.recordConnection(agentId, true);
  await fleet.recordStatus(agentId, {
    agentId,
    state: 'online',
    sentAt: clock.toISOString(),
    version: '0.1.1',
    queue: { depth: 3, bytes: 900, oldestAgeMs: 1200, alarms: 0 },
    devices: [{ id: 'ox-1', driver: 'cms50d', state: 'connected' }],
    configVersion: 2,
  });
  const listed = await call('GET', '/agents');
  const row = (listed.json.agents as any[]).find((a) => a.id === agentId);
  assert.ok(row.online);
  assert.is(row.version, '0.1.1');
  assert.is(row.status.queue.depth, 3);
  assert.equal(row.config, { version: 2, ackedVersion: 2, applied: true });

  // Revocation: at once, in memory and in the database; idempotent.
  const revokedEvents: string[] = [];
  fleet.on('agentRevoked', (id) => revokedEvents.push(id));
  const revoked = await call('POST', `/agents/${agentId}/revoke`, { reason: 'lost box' });
  assert.is(revoked.status, 200);
  assert.equal(revokedEvents, [agentId]);
  assert.not.ok(fleet.isCertificateAccepted(agentId, serial));
  assert.is(fleet.sealingKey(agentId, keyId), undefined);
  const again = await call('POST', `/agents/${agentId}/revoke`, {});
  assert.is(again.status, 200);
  const missing = await call('POST', '/agents/agent-none/revoke', {});
  assert.is(missing.status, 404);
  assert.is(missing.json.error.code, 'AGENT_NOT_FOUND');
  const late = await call('PUT', `/agents/${agentId}/config`, { config: {} });
  assert.is(late.json.error.code, 'AGENT_REVOKED');
  const reopened = await Fleet.open({ db, ca, hubKey });
  assert.not.ok(reopened.isActive(agentId), 'a restarted hub still refuses it');

  // A denied caller gets the gateway's answer, and nothing happens.
  allow = false;
  const denied = await call('POST', '/tokens', {});
  assert.is(denied.status, 403);
  assert.equal(asked, [
    'fleet:tokens:create',
    'fleet:agents:configure',
    'fleet:agents:read',
    'fleet:agents:revoke',
    'fleet:agents:revoke',
    'fleet:agents:revoke',
    'fleet:agents:configure',
    'fleet:tokens:create',
  ]);
}

test('PostgreSQL: tokens, enrollment, config, revocation through the routes', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await exercise(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test('PGlite: the same', async () => {
  const db = await openDatabase();
  try {
    await exercise(db);
  } finally {
    await db.close();
  }
});

test.run();
