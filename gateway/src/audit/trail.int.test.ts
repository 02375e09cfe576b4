import { randomBytes } from 'node:crypto';

import {
  createScratchDatabase,
  openDatabase,
  runMigrations,
  type Database,
} from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { toAuditEvent } from './audit-event.js';
import { auditMigrations } from './schema.js';
import { AuditTrail, fromRow, type AuditRow } from './trail.js';
import { verifyAuditChain } from './verify.js';

const key = randomBytes(32);

async function fill(db: Database, n: number): Promise<AuditTrail> {
  await runMigrations(db, { schema: 'audit', migrations: auditMigrations });
  const trail = new AuditTrail(db, key);
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      trail.append({
        action: i % 2 === 0 ? 'read' : 'update',
        actor: { sub: `u-${i % 3}`, role: 'nurse' },
        resource: `Observation/o-${i}`,
        patientId: `p-${i % 4}`,
        outcome: 'success',
        purpose: 'TREAT',
        source: '127.0.0.1',
        detail: { n: i, z: 'last', a: true },
      }),
    ),
  );

  return trail;
}

async function withPostgres(fn: (db: Database) => Promise<void>) {
  const scratch = await createScratchDatabase('sd_audit');
  const db = await openDatabase({ url: scratch.url });
  try {
    await fn(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

test('an untouched chain verifies, records written concurrently stay linear', async () => {
  await withPostgres(async (db) => {
    await fill(db, 40);
    const report = await verifyAuditChain(db, key);
    assert.equal(report, { ok: true, checked: 40, breaks: [] });
  });
});

// Two gateways on one database, both starting before the first record: the head's row
// lock, and the advisory lock before there is a head, keep one linear chain.
test('two trails on one database append concurrently and the chain stays linear', async () => {
  await withPostgres(async (db) => {
    await runMigrations(db, { schema: 'audit', migrations: auditMigrations });
    const trails = [new AuditTrail(db, key), new AuditTrail(db, key)];
    const rounds = Array.from({ length: 3 }, (_, round) =>
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          trails[i % 2].append({
            action: 'read',
            resource: `Patient/p-${round}-${i}`,
            outcome: 'success',
          }),
        ),
      ),
    );
    await Promise.all(rounds);

    const report = await verifyAuditChain(db, key);
    const { rows } = await db.query<{ seq: number }>('select seq from audit.head');
    assert.equal(report, { ok: true, checked: 90, breaks: [] });
    assert.is(Number(rows[0]?.seq), 90);
  });
});

test('UPDATE, DELETE and TRUNCATE are rejected by the table itself', async () => {
  await withPostgres(async (db) => {
    await fill(db, 3);
    for (const sql of [
      'update audit.events set outcome = $1',
      'delete from audit.events where $1::text is not null',
    ]) {
      try {
        await db.query(sql, ['denied']);
        assert.unreachable(sql);
      } catch (error) {
        assert.is((error as { code?: string }).code, '42501', sql);
      }
    }
    try {
      await db.exec('truncate audit.events');
      assert.unreachable('truncate');
    } catch (error) {
      assert.is((error as { code?: string }).code, '42501');
    }
    assert.ok((await verifyAuditChain(db, key)).ok);
  });
});

test('a superuser edit is detected as EDITED at that record', async () => {
  await withPostgres(async (db) => {
    await fill(db, 10);
    await db.session(async (conn) => {
      // A superuser can switch triggers off for the session: the bypass the verifier exists for.
      await conn.exec(`set session_replication_role = replica`);
      await conn.query(
        `update audit.events set outcome = 'denied', patient_id = 'p-9' where seq = 4`,
      );
      await conn.exec(`set session_replication_role = origin`);
    });
    const report = await verifyAuditChain(db, key);
    assert.not.ok(report.ok);
    assert.equal(report.breaks, [{ code: 'EDITED', seq: 4 }]);
  });
});

test('a superuser delete is detected as MISSING, and a cut tail as HEAD', async () => {
  await withPostgres(async (db) => {
    await fill(db, 10);
    await db.session(async (conn) => {
      await conn.exec(`set session_replication_role = replica`);
      await conn.query(`delete from audit.events where seq = 6`);
      await conn.query(`delete from audit.events where seq = 10`);
      await conn.exec(`set session_replication_role = origin`);
    });
    const report = await verifyAuditChain(db, key);
    assert.not.ok(report.ok);
    assert.equal(
      report.breaks.map((b) => b.code),
      ['MISSING', 'HEAD'],
    );
    assert.is(report.breaks[0]?.seq, 6);
  });
});

test('a record rewritten with a recomputed plain hash still fails: the chain is keyed', async () => {
  await withPostgres(async (db) => {
    await fill(db, 5);
    await db.session(async (conn) => {
      await conn.exec(`set session_replication_role = replica`);
      await conn.query(
        `update audit.events set hash = encode(sha256(hash::bytea), 'hex') where seq = 2`,
      );
      await conn.exec(`set session_replication_role = origin`);
    });
    const codes = (await verifyAuditChain(db, key)).breaks.map((b) => `${b.code}@${b.seq}`);
    assert.equal(codes, ['EDITED@2', 'RELINKED@3']);
  });
});

test('PGlite: the same chain embedded, and records export as FHIR AuditEvent', async () => {
  const db = await openDatabase();
  try {
    await fill(db, 6);
    assert.ok((await verifyAuditChain(db, key)).ok);
    const { rows } = await db.query<AuditRow>('select * from audit.events where seq = 1');
    const event = toAuditEvent(fromRow(rows[0]));
    assert.is(event.resourceType, 'AuditEvent');
    assert.is(event.action, 'R');
    assert.is(event.outcome, '0');
    assert.equal(
      (event.entity as { what: { reference: string } }[]).map((e) => e.what.reference),
      ['Observation/o-0', 'Patient/p-0'],
    );
  } finally {
    await db.close();
  }
});

test.run();
