import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createGateway } from '../gateway.js';
import { runVerifyAuditCli } from './verify-cli.js';

test('the verify-audit command reads the hub data directory and exits 0 for an intact chain', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-audit-'));
  try {
    const db = await openDatabase({ dataDir: join(dataDir, 'pg') });
    const gateway = await createGateway({
      db,
      issuer: 'http://localhost',
      keysDir: join(dataDir, 'keys'),
    });
    await gateway.migrate();
    await gateway.audit({
      action: 'login',
      outcome: 'success',
      actor: { sub: 'u1', role: 'nurse' },
    });
    await db.close();

    const printed: string[] = [];
    const code = await runVerifyAuditCli({ dataDir }, (line) => printed.push(line));
    assert.is(code, 0);
    assert.equal(JSON.parse(printed[0] ?? '{}'), { ok: true, checked: 1, breaks: [] });

    // Without its audit key the command fails clearly and does not make one up.
    const keyPath = join(dataDir, 'keys', 'audit-hmac.key');
    await rm(keyPath);
    const missing: string[] = [];
    assert.is(await runVerifyAuditCli({ dataDir }, (line) => missing.push(line)), 2);
    assert.is((JSON.parse(missing[0] ?? '{}') as { error?: string }).error, 'MISSING_SECRET');
    try {
      await access(keyPath);
      assert.unreachable('a key was created');
    } catch (error) {
      assert.is((error as NodeJS.ErrnoException).code, 'ENOENT');
    }

    // A different audit key (another hub's) cannot vouch for these records.
    await writeFile(keyPath, randomBytes(32).toString('base64'));
    assert.is(await runVerifyAuditCli({ dataDir }, () => undefined), 1);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test.run();
