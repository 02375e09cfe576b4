import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type SecureVersion, type TLSSocket } from 'node:tls';

import { generateSealingKeyPair, type AgentStatus } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createLogger } from '../log.js';
import type { SealedQueue } from '../queue/sealed-queue.js';
import { SeqCounter } from '../queue/seq-counter.js';
import type { Credentials } from '../state-dir.js';
import { createTestPki, type TestPki } from '../test-support/test-pki.js';
import { Uplink } from './uplink.js';

let pki: TestPki;
let dir: string;

test.before(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'sd-uplink-tls-'));
});

test.after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function credentials(port: number): Credentials {
  const agent = generateSealingKeyPair();
  const hub = generateSealingKeyPair();

  return {
    agentId: 'agent-tls',
    keyId: 1,
    mqttUrl: `mqtts://127.0.0.1:${port}`,
    hubSealingPublicKey: Buffer.from(hub.publicKey).toString('base64url'),
    hubUrl: 'https://127.0.0.1',
    enrolledAt: new Date().toISOString(),
    sealingPrivateKey: agent.privateKey,
    sealingPublicKey: agent.publicKey,
    hubPublicKey: hub.publicKey,
    // Any key and certificate the CA signed will do: the handshake is what is tested.
    keyPem: pki.serverKeyPem,
    certificatePem: pki.serverCertPem,
    caPem: pki.caPem,
  };
}

/**
 * Starts a TLS listener that speaks at most `maxVersion` and connects an uplink to it;
 * resolves with the TLS version negotiated, or the server's handshake error code.
 */
async function handshake(maxVersion: SecureVersion): Promise<string> {
  const server = createServer({
    key: pki.serverKeyPem,
    cert: pki.serverCertPem,
    minVersion: 'TLSv1.2',
    maxVersion,
  });
  const outcome = new Promise<string>((resolve) => {
    server.on('secureConnection', (socket: TLSSocket) => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.destroy();
    });
    server.on('tlsClientError', (error: Error & { code?: string }) => {
      resolve(`refused:${error.code ?? error.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const uplink = new Uplink({
    credentials: credentials(port),
    mqttUrl: `mqtts://127.0.0.1:${port}`,
    queue: {} as SealedQueue,
    seq: new SeqCounter({ path: join(dir, `seq-${maxVersion}`) }),
    skew: undefined as never,
    log: createLogger({ level: 'silent' }),
    ackTimeoutMs: 30_000,
    maxBatch: 100,
    backoff: { minMs: 60_000, maxMs: 60_000 },
    buildStatus: () => ({}) as AgentStatus,
    onConfig: () => undefined,
    onLinkState: () => undefined,
  });
  try {
    uplink.start();

    return await outcome;
  } finally {
    await uplink.stop();
    server.close();
  }
}

test('the uplink refuses a broker that offers only TLS 1.2', async () => {
  const result = await handshake('TLSv1.2');

  assert.match(result, /^refused:/);
  assert.match(result, /PROTOCOL|VERSION/i);
});

test('the uplink completes a TLS 1.3 handshake (control)', async () => {
  assert.is(await handshake('TLSv1.3'), 'TLSv1.3');
});

test.run();
