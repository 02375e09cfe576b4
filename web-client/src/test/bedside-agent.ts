import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import type { DemoUser, TestHub } from './hub.js';
import { totpCode } from './totp.js';

const AGENT_BIN = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

/** One reading for the bedside agent's file, `at` in epoch ms. */
export interface BedsideReading {
  code: string;
  value: number;
  at: number;
}

/** Options of {@link startBedsideAgent}. */
export interface BedsideAgentOptions {
  /** The IT administrator who creates the one-time enrolment token. */
  itAdmin: DemoUser;
  patientId: string;
  readings: readonly BedsideReading[];
  deviceId?: string;
  /** A one-time enrolment token made elsewhere (the fleet view); else one is created. */
  token?: string;
}

/** A running bedside agent; `stop()` ends the process and removes its folder. */
export interface BedsideAgent {
  readonly deviceId: string;
  stop(): Promise<void>;
}

async function signInApi(hub: TestHub, user: DemoUser): Promise<string> {
  const totp = user.totpSecret === undefined ? undefined : totpCode(user.totpSecret);
  const res = await fetch(`${hub.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password, totp }),
  });
  if (res.status !== 200) {
    throw new Error(`sign-in of the ${user.role} demo user answered ${res.status}`);
  }

  return ((await res.json()) as { access_token: string }).access_token;
}

async function createToken(hub: TestHub, accessToken: string): Promise<string> {
  const res = await fetch(`${hub.url}/api/fleet/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'test bedside monitor', ttlSeconds: 600 }),
  });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`creating an enrolment token answered ${res.status}`);
  }

  return ((await res.json()) as { token: string }).token;
}

// Newest first: the agent learns a device's clock offset from the first readings it sees,
// and a backlog read oldest first would be moved to the time it arrived.
function toNdjson(readings: readonly BedsideReading[]): string {
  const newestFirst = [...readings].sort((a, b) => b.at - a.at);

  return newestFirst
    .map((r) =>
      JSON.stringify({ code: r.code, value: r.value, deviceTime: new Date(r.at).toISOString() }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }

  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Runs a second real edge agent against the hub, as a bedside monitor would be: enrolled
 * with a one-time token an IT administrator creates through `/api/fleet/tokens`, sending
 * the given readings (a file of JSON lines, followed so the device stays connected) over
 * MQTT with mutual TLS. The hub stores them and its rule engine scores them, so what the
 * browser then shows comes from the hub, not from the test.
 *
 * @example
 * ```ts
 * const agent = await startBedsideAgent(hub, { itAdmin, patientId, readings });
 * await agent.stop();
 * ```
 */
export async function startBedsideAgent(
  hub: TestHub,
  options: BedsideAgentOptions,
): Promise<BedsideAgent> {
  if (options.readings.length === 0) {
    throw new TypeError('"readings" must not be empty');
  }

  const deviceId = options.deviceId ?? 'test-bedside-monitor-1';
  const dir = mkdtempSync(join(tmpdir(), 'sparkden-bedside-'));
  const configFile = join(dir, 'agent.json');
  const readingsFile = join(dir, 'readings.ndjson');
  const config = {
    stateDir: join(dir, 'state'),
    logLevel: 'warn',
    hub: { url: hub.url },
    devices: [
      {
        id: deviceId,
        driver: 'ndjson-file',
        model: 'Bedside monitor (test)',
        patient: options.patientId,
        file: { path: readingsFile, ratePerSecond: 50, follow: true },
      },
    ],
  };
  try {
    writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
    const token = options.token ?? (await createToken(hub, await signInApi(hub, options.itAdmin)));
    await run(process.execPath, [AGENT_BIN, 'enroll', '--config', configFile, '--token', token]);
    writeFileSync(readingsFile, toNdjson(options.readings));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const child = spawn(process.execPath, [AGENT_BIN, 'run', '--config', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  return {
    deviceId,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
