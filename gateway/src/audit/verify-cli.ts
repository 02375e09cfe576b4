import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { openDatabase } from '@sparkden/alerting';

import { MissingSecretError, loadSecret } from '../crypto/secrets.js';
import { verifyAuditChainAt, type ChainReport } from './verify.js';

/** Where the audit chain to verify lives. */
export interface VerifyAuditCliOptions {
  /** PostgreSQL URL; when absent, the embedded database in `dataDir/pg`. */
  databaseUrl?: string | undefined;
  /** The hub's data directory (keys in `keys/`); default `.data`. */
  dataDir?: string | undefined;
}

/**
 * The `verify-audit` command: checks the whole audit chain with the hub's audit key and
 * its signed head checkpoint, and returns the report; the exit code is 0 for an intact
 * chain, 1 otherwise, and 2 when the audit key is missing (it is never created here).
 * Prints one JSON document (record numbers only, no PHI).
 *
 * @example
 * ```ts
 * process.exitCode = await runVerifyAuditCli({ databaseUrl: process.env.DATABASE_URL });
 * ```
 */
export async function runVerifyAuditCli(
  options: VerifyAuditCliOptions,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const dataDir = options.dataDir ?? '.data';
  const keysDir = join(dataDir, 'keys');
  let key: Buffer;
  try {
    key = await loadSecret(keysDir, 'audit-hmac');
  } catch (error) {
    if (error instanceof MissingSecretError) {
      print(JSON.stringify({ ok: false, error: error.code, message: error.message }));

      return 2;
    }
    throw error;
  }
  const db = await openDatabase(
    options.databaseUrl === undefined
      ? { dataDir: join(dataDir, 'pg') }
      : { url: options.databaseUrl },
  );
  let report: ChainReport;
  try {
    report = await verifyAuditChainAt(db, key, keysDir);
  } finally {
    await db.close();
  }
  print(JSON.stringify(report));

  return report.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runVerifyAuditCli({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: process.env.SPARKDEN_DATA_DIR,
  });
}
