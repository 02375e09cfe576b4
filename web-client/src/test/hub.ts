import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ensureWebClientBuilt } from '../build.js';

/** A demo user the hub seeds, with the TOTP secret a test computes codes from. */
export interface DemoUser {
  role: string;
  username: string;
  password: string;
  totpSecret?: string;
}

/** A nurse a test adds beside the demo users, with a Practitioner of that name. */
export interface NewNurse {
  username: string;
  /** The Practitioner's name [FHIR R4 HumanName]. */
  name: { prefix?: string[]; given?: string[]; family: string };
  /** The care unit the nurse covers. Default the demo unit, `ward-1`. */
  unit?: string;
}

/** A running hub for browser tests. */
export interface TestHub {
  url: string;
  demoUsers: DemoUser[];
  /** Adds a nurse who signs in as the demo users do (password, then TOTP). */
  addNurse(nurse: NewNurse): Promise<DemoUser>;
  stop(): Promise<void>;
}

// What the tests use of the gateway `startHub` composes.
interface HubGateway {
  users: {
    create(input: {
      username: string;
      password: string;
      role: 'nurse';
      units: string[];
      practitionerId: string;
      totpSecret: string;
    }): Promise<unknown>;
  };
  repo: { update(resource: Record<string, unknown>): Promise<unknown> };
}

interface StartedHub {
  url: string;
  demoUsers: DemoUser[];
  gateway: HubGateway;
  stop(): Promise<void>;
}

interface StartHubOptions {
  dataDir?: string;
  databaseUrl?: string;
  httpPort?: number;
  mqttPort?: number;
  demo?: boolean;
  webRoot?: string;
}

type StartHub = (options: StartHubOptions) => Promise<StartedHub>;

/**
 * Imports the gateway's `startHub`, or returns undefined while the gateway does not export
 * it (for tests that can run part of their work without a hub).
 */
export async function loadStartHub(): Promise<StartHub | undefined> {
  const gateway = (await import('@sparkden/gateway')) as { startHub?: unknown };

  return typeof gateway.startHub === 'function' ? (gateway.startHub as StartHub) : undefined;
}

/**
 * The gateway's `startHub`, for tests that need a hub. A gateway that stops exporting it
 * fails the test file (it exits with this error) instead of letting it pass by running
 * nothing.
 */
export async function requireStartHub(): Promise<StartHub> {
  const startHub = await loadStartHub();
  if (startHub === undefined) {
    throw new TypeError('@sparkden/gateway does not export "startHub": no hub to test against');
  }

  return startHub;
}

/**
 * Starts a demo hub on an embedded database in a temporary folder, on free ports, serving
 * the freshly built web client. `stop()` stops it and removes the folder.
 *
 * @example
 * ```ts
 * const hub = await startTestHub(startHub);
 * await hub.stop();
 * ```
 */
export async function startTestHub(startHub: StartHub): Promise<TestHub> {
  const webRoot = await ensureWebClientBuilt({ silent: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'sparkden-web-'));
  try {
    const hub = await startHub({ dataDir, httpPort: 0, mqttPort: 0, demo: true, webRoot });

    return {
      url: hub.url.replace(/\/$/, ''),
      demoUsers: hub.demoUsers,
      addNurse: (nurse) => addNurse(hub.gateway, nurse),
      stop: async () => {
        await hub.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

async function addNurse(gateway: HubGateway, nurse: NewNurse): Promise<DemoUser> {
  const practitionerId = `test-${nurse.username}`;
  const password = `Test-${randomBytes(9).toString('base64url')}-2026`;
  const totpSecret = [...randomBytes(20)].map((b) => BASE32[b % 32]).join('');
  await gateway.repo.update({
    resourceType: 'Practitioner',
    id: practitionerId,
    active: true,
    name: [nurse.name],
  });
  await gateway.users.create({
    username: nurse.username,
    password,
    role: 'nurse',
    units: [nurse.unit ?? 'ward-1'],
    practitionerId,
    totpSecret,
  });

  return { role: 'nurse', username: nurse.username, password, totpSecret };
}

/** The demo user of a role. */
export function demoUser(hub: TestHub, role: string, index = 0): DemoUser {
  const user = hub.demoUsers.filter((u) => u.role === role)[index];
  if (!user) {
    throw new TypeError(`the demo hub has no ${role} user #${index}`);
  }

  return user;
}
