import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';

import { currentTotp } from '../auth/totp.js';
import { startHub, type Hub } from '../hub.js';

/** A whole hub for an integration test: its own scratch database and data directory. */
export interface DemoHub {
  hub: Hub;
  scratch: ScratchDatabase;
  dataDir: string;
  /** Stops the hub, drops the database, removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts the hub as `npm start` does, with the demo agent and simulated oximeter, on a scratch
 * PostgreSQL database, loopback-only free ports, no SFU and no web client.
 *
 * @example
 * ```ts
 * const demo = await startDemoHub('sd_foundation');
 * const token = await loginAs(demo.hub, 'nurse');
 * await demo.stop();
 * ```
 */
export async function startDemoHub(name: string): Promise<DemoHub> {
  const scratch = await createScratchDatabase(name);
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  try {
    const hub = await startHub({
      dataDir,
      databaseUrl: scratch.url,
      httpPort: 0,
      httpHost: '127.0.0.1',
      mqttPort: 0,
      mqttHost: '127.0.0.1',
      sfu: false,
      demo: true,
      demoAgentLogLevel: 'warn',
      webRoot: join(dataDir, 'no-web-client'),
      logger: pino({ level: 'silent' }),
    });

    return {
      hub,
      scratch,
      dataDir,
      async stop() {
        await hub.stop();
        await scratch.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await scratch.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Signs in as the hub's demo user of `role` (password and TOTP) and returns the access token. */
export async function loginAs(hub: Hub, role: string): Promise<string> {
  const user = hub.demoUsers.find((u) => u.role === role);
  if (user === undefined) {
    throw new Error(`no demo user with role ${role}`);
  }
  const res = await fetch(`${hub.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: user.username,
      password: user.password,
      totp: user.totpSecret === undefined ? undefined : currentTotp(user.totpSecret),
    }),
  });
  if (res.status !== 200) {
    throw new Error(`login as ${role} answered ${res.status}`);
  }

  return ((await res.json()) as { access_token: string }).access_token;
}
