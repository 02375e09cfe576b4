import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createScratchDatabase, openDatabase, runMigrations } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { CHECKPOINT_FILE, readCheckpoint } from './checkpoint.js';
import { auditMigrations } from './schema.js';
import { AuditTrail } from './trail.js';
import { verifyAuditChain, verifyAuditChainAt } from './verify.js';

// A tail cut with audit.head rewritten to match (the gap the head alone left open) shows
// against the head checkpoint signed and kept outside the database.

const key = randomBytes(32);

test('deleting the last record and rewriting the head is detected by the checkpoint', async () => {
  const scratch = await createScratchDatabase('sd_ckpt');
  const db = await openDatabase({ url: scratch.url });
  const dir = await mkdtemp(join(tmpdir(), 'sd-ckpt-'));
  try {
    await runMigrations(db, { schema: 'audit', migrations: auditMigrations });
    const trail = new AuditTrail(db, key, { checkpointDir: dir, checkpointEvery: 5 });
    for (let i = 0; i < 12; i += 1) {
      await trail.append({ action: 'read', resource: `Patient/p${i}`, outcome: 'success' });
    }
    await trail.checkpoint();
    assert.is((await readCheckpoint(dir, key))?.seq, 12);
    assert.ok((await verifyAuditChainAt(db, key, dir)).ok);

    // The head refuses to move back while its trigger stands.
    try {
      await db.query(`update audit.head set seq = 11`);
      assert.unreachable('head moved back');
    } catch (error) {
      assert.is((error as { code?: string }).code, '42501');
    }

    // A superuser switches the triggers off, cuts the tail and rewrites the head.
    await db.session(async (conn) => {
      await conn.exec(`set session_replication_role = replica`);
      await conn.query(`delete from audit.events where seq = 12`);
      await conn.query(
        `update audit.head set seq = 11, hash = (select hash from audit.events where seq = 11)`,
      );
      await conn.exec(`set session_replication_role = origin`);
    });
    assert.ok((await verifyAuditChain(db, key)).ok, 'the database alone cannot tell');
    const report = await verifyAuditChainAt(db, key, dir);
    assert.not.ok(report.ok);
    assert.equal(report.breaks, [{ code: 'CHECKPOINT', seq: 12 }]);

    // Nor can the hub be made to overwrite the evidence with the lowered head.
    try {
      await new AuditTrail(db, key, { checkpointDir: dir }).checkpoint();
      assert.unreachable('checkpoint moved back');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'BACKWARDS');
    }

    // A checkpoint edited by hand no longer verifies, and that is a break too.
    const path = join(dir, CHECKPOINT_FILE);
    const forged = { ...JSON.parse(await readFile(path, 'utf8')), seq: 11 } as object;
    await writeFile(path, JSON.stringify(forged));
    const again = await verifyAuditChainAt(db, key, dir);
    assert.equal(again.breaks, [{ code: 'CHECKPOINT', seq: 0 }]);
  } finally {
    await db.close();
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
