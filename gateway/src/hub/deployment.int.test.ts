import { createScratchDatabase, TEST_SERVER_URL } from '@sparkden/alerting';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { connect, type TLSSocket } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { loadHubConfig } from '../bin/hub-config.js';
import { startHub } from '../hub.js';

// A hub started as a deployment is: the documented PKI step (deploy/pki/make-pki.sh), its
// files named by the hub's variables, HTTPS with the site's certificate, the site's CA for
// agents' certificates, and a readiness probe that follows its database.
const makePki = fileURLToPath(new URL('../../../deploy/pki/make-pki.sh', import.meta.url));
const pkiDir = mkdtempSync(join(tmpdir(), 'sd-deploy-pki-'));
execFileSync('bash', [makePki, pkiDir], {
  env: { ...process.env, HUB_NAMES: 'DNS:localhost,IP:127.0.0.1' },
  stdio: 'ignore',
});
const config = loadHubConfig({
  SPARKDEN_TLS_CERT: join(pkiDir, 'hub.pem'),
  SPARKDEN_TLS_KEY: join(pkiDir, 'hub.key'),
  SPARKDEN_CA_CERT: join(pkiDir, 'ca.pem'),
  SPARKDEN_CA_KEY: join(pkiDir, 'ca.key'),
});
const ca = { pem: readFileSync(join(pkiDir, 'ca.pem'), 'utf8') };
const scratch = await createScratchDatabase('sd_deploy');
const dataDir = mkdtempSync(join(tmpdir(), 'sd-deploy-'));
const hub = await startHub({
  dataDir,
  databaseUrl: scratch.url,
  httpPort: 0,
  httpHost: '127.0.0.1',
  tls: config.tls,
  ca: config.ca,
  mqttPort: 0,
  mqttHost: '127.0.0.1',
  sfu: false,
  webRoot: join(dataDir, 'no-web-client'),
  logger: pino({ level: 'silent' }),
});
const port = Number(new URL(hub.url).port);

function get(path: string): Promise<{ status: number; body: string; protocol: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca: ca.pem, servername: 'localhost' },
      (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          ok({
            status: res.statusCode ?? 0,
            body,
            protocol,
          }),
        );
      },
    );
    req.on('error', fail);
    req.end();
  });
}

test('the HTTP port speaks TLS 1.3 only, with the configured certificate', async () => {
  const health = await get('/healthz');

  assert.is(health.status, 200);
  assert.is(health.protocol, 'TLSv1.3');
  assert.ok(hub.url.startsWith('https://'));

  const refused = await new Promise<string>((ok) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.pem, maxVersion: 'TLSv1.2' });
    socket.on('secureConnect', () => ok('connected'));
    socket.on('error', (e: NodeJS.ErrnoException) => ok(e.code ?? e.message));
  });

  assert.is.not(refused, 'connected');
});

test("agents' broker certificate chains to the deployment CA, not a development CA", () => {
  const brokerCert = new X509Certificate(hub.alerting.pki.server.pem);

  assert.ok(brokerCert.verify(new X509Certificate(ca.pem).publicKey));
  assert.is(hub.alerting.pki.createdCa, false);
});

test('readiness follows the database: 503 naming it while it refuses, 200 once back', async () => {
  const ready = await get('/readyz');

  assert.is(ready.status, 200);
  assert.equal(JSON.parse(ready.body).checks, { database: 'ok', broker: 'ok' });

  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`alter database ${scratch.name} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
      scratch.name,
    ]);
    const down = await get('/readyz');

    assert.is(down.status, 503);
    assert.is(JSON.parse(down.body).status, 'not ready');
    assert.is.not(JSON.parse(down.body).checks.database, 'ok');
    // Liveness never depends on the database.
    assert.is((await get('/healthz')).status, 200);
  } finally {
    await admin.query(`alter database ${scratch.name} allow_connections true`);
    await admin.end();
  }

  assert.is((await get('/readyz')).status, 200);
});

test.after(async () => {
  await hub.stop();
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pkiDir, { recursive: true, force: true });
});

test.run();
