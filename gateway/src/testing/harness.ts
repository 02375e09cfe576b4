import type { AddressInfo } from 'node:net';

import { serve, type ServerType } from '@hono/node-server';
import {
  VitalsStore,
  createScratchDatabase,
  createVitalsMigrations,
  openDatabase,
  runMigrations,
  type Database,
} from '@sparkden/alerting';

import { currentTotp } from '../auth/totp.js';
import type { DemoUser } from '../demo.js';
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.js';
import { sqlVitalsSource } from '../fhir/vitals.js';

/** A token response as the tests read it. */
export interface TestTokens {
  access_token: string;
  refresh_token?: string;
}

/** A gateway on a real socket over a throw-away database, for integration tests. */
export interface TestGateway {
  url: string;
  gateway: Gateway;
  db: Database;
  demo: DemoUser[];
  /** The alerting engine's vitals store, when started `withVitals`. */
  vitals: VitalsStore | undefined;
  /**
   * Signs a demo user in (password + TOTP; client credentials for `system`); cached per
   * role, since a TOTP code is single-use [RFC 6238 5.2].
   */
  login(role: DemoUser['role']): Promise<TestTokens>;
  close(): Promise<void>;
}

async function signIn(url: string, demo: DemoUser[], role: DemoUser['role']): Promise<TestTokens> {
  const user = demo.find((d) => d.role === role) as DemoUser;
  if (role === 'system') {
    const basic = Buffer.from(`${user.clientId ?? ''}:${user.password}`).toString('base64');
    const res = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=system/*.read',
    });

    return (await res.json()) as TestTokens;
  }
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: user.username,
      password: user.password,
      ...(user.totpSecret === undefined ? {} : { totp: currentTotp(user.totpSecret) }),
    }),
  });
  if (res.status !== 200) {
    throw new Error(`login as ${role} failed: ${res.status}`);
  }

  return (await res.json()) as TestTokens;
}

/**
 * Starts a gateway on `127.0.0.1:0` over a scratch PostgreSQL database (or PGlite), with
 * the demo users seeded.
 */
export async function startTestGateway(
  options: { engine?: 'postgres' | 'pglite'; withVitals?: boolean } & Partial<GatewayOptions> = {},
): Promise<TestGateway> {
  const scratch = options.engine === 'pglite' ? undefined : await createScratchDatabase('sd_gw');
  const db = await openDatabase(scratch === undefined ? {} : { url: scratch.url });
  const holder: { gateway?: Gateway } = {};
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    const fetchHandler = (req: Request) => (holder.gateway as Gateway).app.fetch(req);
    server = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve(info.port),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  let vitals: VitalsStore | undefined;
  if (options.withVitals === true) {
    await runMigrations(db, {
      schema: 'vitals',
      migrations: createVitalsMigrations({ timescale: 'off' }),
    });
    vitals = await VitalsStore.open(db);
  }
  const source = vitals === undefined ? {} : { vitals: sqlVitalsSource(db) };
  const gateway = await createGateway({ issuer: url, ...source, ...options, db });
  holder.gateway = gateway;
  await gateway.migrate();
  const demo = await gateway.seedDemoUsers();
  const cache = new Map<string, Promise<TestTokens>>();
  const ready = gateway;

  return {
    url,
    gateway: ready,
    db,
    demo,
    vitals,
    login(role) {
      const cached = cache.get(role) ?? signIn(url, demo, role);
      cache.set(role, cached);

      return cached;
    },
    async close() {
      await ready.close();
      await new Promise<void>((resolve) =>
        server === undefined ? resolve() : server.close(() => resolve()),
      );
      await db.close();
      await scratch?.drop();
    },
  };
}
