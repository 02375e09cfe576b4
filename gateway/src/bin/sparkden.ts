/**
 * `sparkden`: the hub's command line for operators.
 *
 *   sparkden start [--no-demo] [--role hub|sfu]   the hub (same as `npm start`)
 *   sparkden audit verify                         walks the audit hash chain; exit 1 on a break
 *   sparkden keys rotate jwt [--activate-in <s>]  publishes a new JWT signing key; it signs
 *                                                 after <s> seconds (default 600) or at
 *                                                 `keys activate jwt`, whichever comes first
 *   sparkden keys activate jwt                    the published key signs now
 *   sparkden keys rotate field                    new field key; re-seals every stored value
 *   sparkden keys init                            makes every key the hub needs, once, before
 *                                                 several hubs share the keys directory
 *
 * Configuration comes from the same environment variables as the hub (README).
 */
import { loadHubSealingKey, openDatabase } from '@sparkden/alerting';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';

import { loadOrCreateSecret } from '../crypto/secrets.js';
import { createGateway } from '../gateway.js';
import { ConfigError, loadHubConfig, type HubConfig } from './hub-config.js';

const USAGE = `usage: sparkden start [--no-demo] [--role hub|sfu]
       sparkden audit verify
       sparkden keys rotate jwt [--activate-in <seconds>]
       sparkden keys rotate field
       sparkden keys activate jwt
       sparkden keys init`;

function fail(message: string, code = 64): never {
  process.stderr.write(`sparkden: ${message}\n`);
  process.exit(code);
}

function config(): HubConfig {
  try {
    return loadHubConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : String(error), 78);
  }
}

async function withGateway<T>(fn: (g: Awaited<ReturnType<typeof createGateway>>) => Promise<T>) {
  const c = config();
  const db = await openDatabase(
    c.databaseUrl === undefined ? { dataDir: join(c.dataDir, 'pg') } : { url: c.databaseUrl },
  );
  try {
    const gateway = await createGateway({
      db,
      logger: pino({ level: 'silent' }),
      keysDir: c.keysDir,
      issuer: c.publicUrl ?? `http://localhost:${c.httpPort}`,
    });
    await gateway.migrate();
    const result = await fn(gateway);
    await gateway.close();

    return result;
  } finally {
    await db.close();
  }
}

async function auditVerify(): Promise<void> {
  const report = await withGateway((g) => g.verifyAuditChain());
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

const DEFAULT_ACTIVATE_IN_S = 600;

function activateInSeconds(args: string[]): number {
  const at = args.indexOf('--activate-in');
  if (at === -1) {
    return DEFAULT_ACTIVATE_IN_S;
  }

  const seconds = Number(args[at + 1]);
  if (!Number.isInteger(seconds) || seconds < 0) {
    fail('"--activate-in" must be a whole number of seconds >= 0');
  }

  return seconds;
}

async function keysRotate(which: string | undefined, args: string[]): Promise<void> {
  if (which === 'jwt') {
    const seconds = activateInSeconds(args);
    const kid = await withGateway((g) => g.rotateSigningKey({ activateInMs: seconds * 1000 }));
    process.stdout.write(
      `new JWT signing key ${kid}; published now, signs in ${seconds} s ` +
        `(or after "sparkden keys activate jwt"); earlier keys still verify\n`,
    );
  } else if (which === 'field') {
    const n = await withGateway((g) => g.rotateFieldKey());
    process.stdout.write(`new field key; ${n} stored values re-sealed\n`);
  } else {
    fail('keys rotate needs "jwt" or "field"');
  }
}

async function keysActivate(which: string | undefined): Promise<void> {
  if (which !== 'jwt') {
    fail('keys activate needs "jwt"');
  }

  const kid = await withGateway((g) => g.activateSigningKey());
  if (kid === undefined) {
    fail('no published JWT key is waiting to sign', 1);
  }
  process.stdout.write(`JWT signing key ${kid} signs now\n`);
}

// Hubs that share one keys directory must not each make their own keys at first start:
// this makes them once (JWT signing, field encryption, audit, sealing, visit tokens).
async function keysInit(): Promise<void> {
  const c = config();
  await withGateway(() => Promise.resolve());
  await loadHubSealingKey(c.keysDir);
  await loadOrCreateSecret(c.keysDir, 'visit-token', 32);
  const files = readdirSync(c.keysDir).sort();
  process.stdout.write(`keys in ${c.keysDir}: ${files.join(', ')}\n`);
}

const [command, sub, ...rest] = process.argv.slice(2);
if (command === 'start') {
  process.argv.splice(2, 1);
  await import('./start.js');
} else if (command === 'audit' && sub === 'verify') {
  await auditVerify();
} else if (command === 'keys' && sub === 'rotate') {
  await keysRotate(rest[0], rest.slice(1));
} else if (command === 'keys' && sub === 'activate') {
  await keysActivate(rest[0]);
} else if (command === 'keys' && sub === 'init') {
  await keysInit();
} else {
  fail(USAGE);
}
