import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

import { createAgentCertificateRequest, type CertificateAuthority } from '../pki/index.js';

/** Options of {@link startTestMosquitto}. */
export interface TestMosquittoOptions {
  /** The hub CA: it signs the broker's certificate and is the only CA clients may use. */
  ca: CertificateAuthority;
  /** The MQTT username (certificate CN) allowed every agent's topics (default `sparkden-hub`). */
  hubUser?: string;
  /** The binary (default `/usr/sbin/mosquitto`). */
  binary?: string;
}

/** A running Mosquitto, for tests and benches. */
export interface TestMosquitto {
  /** `mqtts://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** What the broker printed, for a failing test to show. */
  output: string[];
  stop(): Promise<void>;
}

const READY_MS = 10_000;

function freePort(): Promise<number> {
  const server = createServer();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function ready(child: ChildProcess, output: string[], port: number): Promise<void> {
  const listening = `listen socket on port ${port}`;
  const seen = new Promise<void>((resolve) => {
    child.stderr?.on('data', (d: Buffer) => {
      output.push(...d.toString('utf8').split('\n').filter(Boolean));
      if (output.some((l) => l.includes(listening))) {
        resolve();
      }
    });
  });
  let onExit: (code: number | null) => void = () => undefined;
  const exited = new Promise<never>((_resolve, reject) => {
    onExit = (code) =>
      reject(new Error(`mosquitto exited with ${String(code)}: ${output.join(' | ')}`));
    child.once('exit', onExit);
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mosquitto not listening after ${READY_MS} ms: ${output.join(' | ')}`));
    }, READY_MS);
  });
  try {
    await Promise.race([seen, exited, late]);
  } finally {
    clearTimeout(timer);
    child.off('exit', onExit);
  }
}

/**
 * Issues a client certificate (clientAuth, the name as CN) from the hub CA, as the PKI step
 * does for the hub's own connection to an external broker.
 */
export async function issueTestClientCertificate(
  ca: CertificateAuthority,
  name: string,
): Promise<{ certPem: string; keyPem: string }> {
  const request = await createAgentCertificateRequest();
  const issued = await ca.signAgentCsr(request.csrPem, { agentId: name });

  return { certPem: issued.pem, keyPem: request.keyPem };
}

/**
 * Starts Mosquitto on a free loopback port as a deployment would run it in front of agents:
 * TLS 1.3 with a certificate from the hub CA, client certificates required, the
 * certificate CN as username, each agent confined by ACL to publishing its own `up/*` and
 * reading its own `down/*`, and one hub user allowed every agent's topics.
 *
 * @example
 * ```ts
 * const broker = await startTestMosquitto({ ca });
 * const hub = await issueTestClientCertificate(ca, 'sparkden-hub');
 * await broker.stop();
 * ```
 */
export async function startTestMosquitto(options: TestMosquittoOptions): Promise<TestMosquitto> {
  const hubUser = options.hubUser ?? 'sparkden-hub';
  if (!/^[A-Za-z0-9._-]+$/.test(hubUser)) {
    throw new TypeError('"hubUser" must be letters, digits, ".", "_" or "-"');
  }

  const dir = await mkdtemp(join(tmpdir(), 'sd-mosquitto-'));
  const port = await freePort();
  const server = await options.ca.issueServerCertificate(['localhost', '127.0.0.1']);
  await writeFile(join(dir, 'ca.pem'), options.ca.pem);
  await writeFile(join(dir, 'server.pem'), server.pem);
  await writeFile(join(dir, 'server.key'), server.keyPem, { mode: 0o600 });
  // [mosquitto.conf(5): acl_file] %u is the username, here the certificate CN.
  await writeFile(
    join(dir, 'acl'),
    [
      `user ${hubUser}`,
      'topic readwrite sd/v1/agent/#',
      '',
      'pattern write sd/v1/agent/%u/up/#',
      'pattern read sd/v1/agent/%u/down/#',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'mosquitto.conf'),
    [
      // Run as whoever runs the test (as root, Mosquitto would drop to user "mosquitto").
      `user ${userInfo().username}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      // "Opening ipv4 listen socket on port …", which ready() waits for, is information.
      'log_type information',
      'allow_anonymous false',
      `acl_file ${join(dir, 'acl')}`,
      `listener ${port} 127.0.0.1`,
      `cafile ${join(dir, 'ca.pem')}`,
      `certfile ${join(dir, 'server.pem')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'tls_version tlsv1.3',
      'require_certificate true',
      'use_identity_as_username true',
      '',
    ].join('\n'),
  );
  const child = spawn(
    options.binary ?? '/usr/sbin/mosquitto',
    ['-c', join(dir, 'mosquitto.conf')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const output: string[] = [];
  try {
    await ready(child, output, port);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    output,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
