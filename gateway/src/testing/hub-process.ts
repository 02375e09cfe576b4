import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The product hub (`sparkden start --no-demo`) as a child process, for fault tests that kill
 * it with SIGKILL and start it again on the same database, data directory and ports.
 */

const SPARKDEN_BIN = fileURLToPath(new URL('../../bin/sparkden.js', import.meta.url));

/** Where a {@link HubProcess} keeps its state and listens. */
export interface HubProcessOptions {
  /** The PostgreSQL database (`postgres://…`) the hub migrates and stores into. */
  databaseUrl: string;
  /** `SPARKDEN_DATA_DIR`: the CA, the sealing keys and the JWT keys live here. */
  dataDir: string;
  /** Loopback ports; a restarted hub must reuse them so its agents find it again. */
  httpPort: number;
  mqttPort: number;
}

/** A running hub process. */
export interface HubProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<httpPort>`, for enrollment. */
  url: string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGKILL: no graceful stop, no drain, no last acks. */
  kill(): Promise<void>;
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  return port;
}

/**
 * Polls `check` until it returns something other than `undefined` or `false`; the timeout
 * only bounds a hung test.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Starts `sparkden start --no-demo` (no SFU, logs at warn) and resolves once `/readyz`
 * answers 200, that is once migrations ran and the broker listens.
 *
 * @example
 * ```ts
 * const hub = await startHubProcess({ databaseUrl, dataDir, httpPort, mqttPort });
 * await hub.kill();
 * ```
 */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  const child = spawn(process.execPath, [SPARKDEN_BIN, 'start', '--no-demo'], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      SPARKDEN_DATA_DIR: options.dataDir,
      SPARKDEN_HTTP_PORT: String(options.httpPort),
      SPARKDEN_HTTP_HOST: '127.0.0.1',
      SPARKDEN_MQTT_PORT: String(options.mqttPort),
      SPARKDEN_MQTT_HOST: '127.0.0.1',
      SPARKDEN_SFU: 'off',
      SPARKDEN_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', process.env.SD_TEST_HUB_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = `http://127.0.0.1:${options.httpPort}`;
  let gone = false;
  void exited.then(() => (gone = true));
  await waitUntil(`the hub on port ${options.httpPort}`, async () => {
    if (gone) {
      throw new Error(`the hub exited before it was ready (${String(await exited)})`);
    }

    return fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
  });

  return {
    child,
    url,
    exited,
    async kill() {
      if (!gone) {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
