import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import {
  createAlertingService,
  createScratchDatabase,
  type AlertingService,
  type ScratchDatabase,
} from '@sparkden/alerting';
import { deriveSealingKey, sealJson } from '@sparkden/protocol';
import pg from 'pg';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import { enrollAgent } from './enroll/enroll.js';
import { loadCredentials } from './state-dir.js';
import { readLocalStatus } from './status.js';
import { spawnAgent, waitFor, writeReadings } from './test-support/agent-fixture.js';

// The real hub side (alerting service: broker over mutual TLS, fleet, ingest, PostgreSQL) and
// the real agent process, through sealing key rotations.

const logs: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  }),
);

let scratch: ScratchDatabase;
let service: AlertingService;
let pool: pg.Pool;
let routes: ReturnType<AlertingService['fleetRoutes']>;
let tlsPort = 0;
let dataDir = '';

test.before(async () => {
  scratch = await createScratchDatabase('sd_key_rotation');
  dataDir = mkdtempSync(join(tmpdir(), 'sd-rotation-hub-'));
  service = await createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: false,
    fleetRefreshMs: 200,
    sealingKeyGraceMs: 1500,
    logger,
  });
  tlsPort = (await service.start()).mqtt.tls;
  routes = service.fleetRoutes(() =>
    Promise.resolve({ sub: 'it-admin-7', role: 'it-admin', units: ['*'] }),
  );
  pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
});

test.after(async () => {
  await pool.end();
  await service.stop();
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function storedOnce(ids: readonly string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from vitals.observation where id = any($1::uuid[])',
    [ids],
  );

  return rows[0].n;
}

async function hubKeyId(agentId: string): Promise<number> {
  const { rows } = await pool.query<{ k: number }>(
    'select sealing_key_id as k from fleet.agent where id = $1',
    [agentId],
  );

  return rows[0].k;
}

async function post(path: string): Promise<{ keyId: number; agents: { agentId: string }[] }> {
  const res = await routes.request(path, { method: 'POST' });
  assert.is(res.status, 202, path);

  return (await res.json()) as { keyId: number; agents: { agentId: string }[] };
}

test('readings flow before, during and after rotations, each stored once; a retired key is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-rotation-agent-'));
  const stateDir = join(dir, 'state');
  let agent: ReturnType<typeof spawnAgent> | undefined;
  let ids: string[] = [];
  try {
    const { token } = await service.fleet.createToken({ createdBy: 'it-admin-7' });
    const { agentId, keyId: enrolledKeyId } = await enrollAgent({
      hub: 'https://hub.test',
      token,
      stateDir,
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input);

        return routes.request(url.pathname.replace('/api/fleet', ''), init);
      },
    });
    assert.is(enrolledKeyId, 1);
    const file = join(dir, 'stream.ndjson');
    ids = writeReadings(file, 300);
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(
      configFile,
      stringify({
        stateDir,
        hub: { mqttUrl: `mqtts://127.0.0.1:${tlsPort}` },
        devices: [
          {
            id: 'oxi-1',
            driver: 'ndjson-file',
            patient: 'p-rot-1',
            file: { path: file, ratePerSecond: 2000, follow: true },
          },
        ],
        uplink: { heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } },
      }),
    );
    agent = spawnAgent(configFile);
    await waitFor(async () => (await storedOnce(ids)) === ids.length, 'readings before');

    // One agent's key, while readings keep arriving.
    ids.push(...writeReadings(file, 300, () => 96, true));
    const one = await post(`/agents/${agentId}/rotate-key`);
    assert.is(one.keyId, 2);
    assert.equal(
      one.agents.map((a) => a.agentId),
      [agentId],
    );
    ids.push(...writeReadings(file, 300, () => 95, true));
    await waitFor(() => readLocalStatus(stateDir)?.status.sealingKeyId === 2, 'agent on key 2');
    await waitFor(async () => (await hubKeyId(agentId)) === 2, 'hub promoted key 2');
    ids.push(...writeReadings(file, 300, () => 94, true));
    await waitFor(async () => (await storedOnce(ids)) === ids.length, 'readings after');
    assert.ok(agent.lines.some((l) => l.includes('"sealingKeyRotated"')));
    const keysDir = join(dataDir, 'keys');
    assert.is(statSync(join(keysDir, 'hub-sealing.v2.jwk')).mode & 0o777, 0o600);

    // Key 1's grace period ends: a frame sealed under it is refused with a clear code.
    await waitFor(
      async () =>
        (
          await pool.query(
            `select 1 from fleet.sealing_key where agent_id = $1 and key_id = 1
             and state = 'retired'`,
            [agentId],
          )
        ).rowCount === 1,
      'key 1 retired',
    );
    const creds = loadCredentials(stateDir);
    const oldHub = creds.previousHubKeys?.find((k) => k.keyId === 1);
    assert.ok(oldHub, 'the agent kept the previous hub key');
    const oldKey = deriveSealingKey(
      creds.sealingPrivateKey,
      new Uint8Array(Buffer.from(oldHub.hubSealingPublicKey, 'base64url')),
      { agentId, keyId: 1 },
    );
    const stale = sealJson(
      { kind: 'obs', keyId: 1, agentId, seq: 999_999n },
      { agentId, seq: 999_999, sentAt: new Date().toISOString(), observations: [] },
      oldKey,
    );
    const outcome = await service.ingest.handle({ agentId, kind: 'obs', payload: stale });
    assert.equal(outcome, { status: 'refused', code: 'KEY_RETIRED' });
    assert.ok(logs.some((l) => l.includes('"code":"KEY_RETIRED"') && l.includes(agentId)));

    // Every agent at once, then revocation still stops everything.
    const all = await post('/rotate-keys');
    assert.is(all.keyId, 3);
    ids.push(...writeReadings(file, 200, () => 93, true));
    await waitFor(() => readLocalStatus(stateDir)?.status.sealingKeyId === 3, 'agent on key 3');
    await waitFor(async () => (await storedOnce(ids)) === ids.length, 'readings on key 3');
    const { rows } = await pool.query<{ n: number }>(
      'select count(*)::int as n from vitals.observation where agent_id = $1',
      [agentId],
    );
    assert.is(rows[0].n, ids.length, 'nothing stored twice, nothing extra');
    assert.match(readFileSync(join(stateDir, 'identity.json'), 'utf8'), /"keyId": 3/);

    await service.fleet.revoke(agentId, { by: 'it-admin-7' });
    assert.is(service.fleet.sealingKey(agentId, 3), undefined);
    await waitFor(() => readLocalStatus(stateDir)?.status.state === 'revoked', 'revoked');
  } finally {
    agent?.child.kill('SIGKILL');
    await agent?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotating an unknown agent answers 404 with the fleet code', async () => {
  const res = await routes.request('/agents/agent-nope/rotate-key', { method: 'POST' });
  assert.is(res.status, 404);
  assert.match(await res.text(), /AGENT_NOT_FOUND/);
});

test.run();
