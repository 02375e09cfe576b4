/**
 * A Mosquitto broker of the bench's own, on free loopback ports with a temporary
 * configuration: one plain MQTT listener and one mutual-TLS listener (TLS 1.3, client
 * certificates required) that trusts the hub's CA, so agents connect to it with the very
 * credentials they use for the hub.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BINARY = process.env.SD_BENCH_MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const READY_MS = 10_000;

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** The CA that signs the clients' certificates (the hub's). */
  caPem: string;
  /** The broker's certificate and key; valid for 127.0.0.1. */
  certPem: string;
  keyPem: string;
}

/** A running Mosquitto of the bench's own. */
export interface Mosquitto {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly plainUrl: string;
  /** `mqtts://127.0.0.1:<port>`, client certificates required. */
  readonly tlsUrl: string;
  /** As `mosquitto -h` prints it, e.g. `mosquitto version 2.0.11`. */
  readonly version: string;
  /** Stops the broker and removes its temporary folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The Mosquitto binary's version line, e.g. `mosquitto version 2.0.11`, without starting it. */
export async function mosquittoVersion(): Promise<string> {
  // `mosquitto -h` prints its usage and exits 3; the version is on the first line.
  const out = await promisify(execFile)(BINARY, ['-h']).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));

  return out.stdout.split('\n')[0]?.trim() || 'mosquitto (version unknown)';
}

/**
 * Starts `mosquitto` (`SD_BENCH_MOSQUITTO_BIN`, default `/usr/sbin/mosquitto`) and waits
 * until both listeners accept connections.
 *
 * @example
 * ```ts
 * const broker = await startMosquitto({ caPem, certPem, keyPem });
 * try { … mqtt.connectAsync(broker.tlsUrl, { key, cert, ca }) … } finally { await broker.stop(); }
 * ```
 */
export async function startMosquitto(options: MosquittoOptions): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-bench-mosquitto-'));
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'mosquitto.conf');
  await Promise.all([
    writeFile(join(dir, 'ca.pem'), options.caPem),
    writeFile(join(dir, 'server.pem'), options.certPem),
    writeFile(join(dir, 'server.key'), options.keyPem, { mode: 0o600 }),
  ]);
  // [mosquitto.conf(5)] Started as root, mosquitto switches to `user` (default "mosquitto"),
  // which could not read the key in this 0700 folder; stay the user we are.
  await writeFile(
    conf,
    [
      `user ${userInfo().username}`,
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      `listener ${plainPort} 127.0.0.1`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(dir, 'ca.pem')}`,
      `certfile ${join(dir, 'server.pem')}`,
      `keyfile ${join(dir, 'server.key')}`,
      'require_certificate true',
      'tls_version tlsv1.3',
      '',
    ].join('\n'),
  );

  const child = spawn(BINARY, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const until = Date.now() + READY_MS;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`mosquitto exited ${child.exitCode}: ${stderr.trim()}`);
      }
      if ((await accepts(plainPort)) && (await accepts(tlsPort))) {
        break;
      }
      if (Date.now() > until) {
        throw new Error(`mosquitto did not listen within ${READY_MS} ms: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    return {
      plainUrl: `mqtt://127.0.0.1:${plainPort}`,
      tlsUrl: `mqtts://127.0.0.1:${tlsPort}`,
      version: await mosquittoVersion(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
