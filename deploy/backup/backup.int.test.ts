/**
 * The documented backup procedure against the real thing: a whole hub (gateway and alerting
 * migrations, demo agent, rule engine) on a scratch database of the real PostgreSQL writes
 * readings, an alert, FHIR resources and audit records; `backup.sh` backs it up with its keys,
 * `restore.sh` restores both into a fresh database and keys directory, and a hub started on
 * the restore still verifies its audit chain and decrypts the Patient.
 */
import { createScratchDatabase, openDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { currentTotp, startHub, verifyAuditChain, type Hub } from '@sparkden/gateway';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const here = fileURLToPath(new URL('.', import.meta.url));

// Every table the comparison covers, in a stable row order independent of column names.
const TABLES = [
  'vitals.observation',
  'alerting.alerts',
  'alerting.alert_events',
  'alerting.rules',
  'audit.events',
  'audit.head',
  'fleet.agent',
  'fleet.certificate',
  'fleet.sealing_key',
  'clinical.resources',
  'auth.users',
  'public.sparkden_migrations',
];

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function snapshot(url: string): Promise<Record<string, string>> {
  return withClient(url, async (c) => {
    const out: Record<string, string> = {};
    for (const table of TABLES) {
      const { rows } = await c.query<{ j: string | null }>(
        `select json_agg(t order by t::text)::text as j from ${table} t`,
      );
      out[table] = rows[0].j ?? '[]';
    }

    return out;
  });
}

async function count(url: string, sql: string): Promise<number> {
  return withClient(url, async (c) => (await c.query<{ n: number }>(sql)).rows[0].n);
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function hubOn(url: string, dataDir: string, demo: boolean, keysDir?: string): Promise<Hub> {
  return startHub({
    dataDir,
    keysDir,
    databaseUrl: url,
    httpPort: 0,
    httpHost: '127.0.0.1',
    mqttPort: 0,
    mqttHost: '127.0.0.1',
    sfu: false,
    demo,
    demoAgentLogLevel: 'warn',
    webRoot: join(dataDir, 'no-web-client'),
    logger: pino({ level: 'silent' }),
  });
}

async function login(hub: Hub, user: Hub['demoUsers'][number]): Promise<string> {
  const res = await fetch(`${hub.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: user.username,
      password: user.password,
      totp: user.totpSecret === undefined ? undefined : currentTotp(user.totpSecret),
    }),
  });
  assert.is(res.status, 200, `login as ${user.role}`);

  return ((await res.json()) as { access_token: string }).access_token;
}

async function readPatient(hub: Hub, token: string, id: string): Promise<unknown> {
  const res = await fetch(`${hub.url}/fhir/Patient/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.is(res.status, 200, `GET Patient/${id}`);
  const body = (await res.json()) as { name?: unknown };

  return body.name;
}

// The keys a backup carries: all but the live audit checkpoint (backup.sh leaves it out).
function keyFiles(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== 'audit-checkpoint.json')
      .sort()
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );
}

test('a backup of a real hub restores with every row, its keys and a readable Patient', async () => {
  const source = await createScratchDatabase('sd_backup_src');
  const target: ScratchDatabase = await createScratchDatabase('sd_backup_dst');
  const work = mkdtempSync(join(tmpdir(), 'sd-backup-'));
  const srcData = join(work, 'src-data');
  const dstData = join(work, 'dst-data');
  const restoredKeys = join(work, 'restored-keys');
  const backups = join(work, 'backups');
  let restored: Hub | undefined;
  try {
    const hub = await hubOn(source.url, srcData, true);
    const clinician = hub.demoUsers.find((u) => u.role === 'clinician')!;
    // Another user on the restore: a TOTP code is accepted once, and the restore remembers it.
    const nurse = hub.demoUsers.find((u) => u.role === 'nurse')!;
    const patientId = hub.demoUsers.find((u) => u.role === 'patient')!.patientId!;
    let name: unknown;
    try {
      name = await readPatient(hub, await login(hub, clinician), patientId);
      await waitFor('readings and the desaturation alert', async () => {
        const readings = await count(
          source.url,
          'select count(*)::int as n from vitals.observation',
        );
        const alerts = await count(source.url, 'select count(*)::int as n from alerting.alerts');

        return readings > 20 && alerts > 0;
      });
    } finally {
      await hub.stop();
    }
    assert.ok(await count(source.url, 'select count(*)::int as n from audit.events'));
    assert.ok(await count(source.url, 'select count(*)::int as n from fleet.agent'));

    const t0 = performance.now();
    const dump = execFileSync(join(here, 'backup.sh'), [backups], {
      env: { ...process.env, DATABASE_URL: source.url, SPARKDEN_DATA_DIR: srcData },
      stdio: 'pipe',
    })
      .toString()
      .trim();
    const t1 = performance.now();
    execFileSync(join(here, 'restore.sh'), [dump], {
      env: { ...process.env, DATABASE_URL: target.url, SPARKDEN_KEYS_DIR: restoredKeys },
      stdio: 'pipe',
    });
    const t2 = performance.now();
    // The live audit checkpoint is evidence of the live chain, never restored with the keys.
    assert.ok(existsSync(join(srcData, 'keys', 'audit-checkpoint.json')), 'the hub kept one');
    assert.not.ok(existsSync(join(restoredKeys, 'audit-checkpoint.json')), 'none restored');
    const readings = await count(target.url, 'select count(*)::int as n from vitals.observation');
    console.log(
      `backup.sh ${(t1 - t0).toFixed(0)} ms, restore.sh ${(t2 - t1).toFixed(0)} ms ` +
        `(${readings} readings, dump ${readFileSync(dump).length} bytes)`,
    );

    assert.equal(await snapshot(target.url), await snapshot(source.url));
    assert.equal(keyFiles(restoredKeys), keyFiles(join(srcData, 'keys')));
    const auditKey = Buffer.from(
      readFileSync(join(restoredKeys, 'audit-hmac.key'), 'utf8').trim(),
      'base64',
    );
    const db = await openDatabase({ url: target.url });
    const report = await verifyAuditChain(db, auditKey).finally(() => db.close());
    assert.ok(report.ok, `audit chain verifies: ${JSON.stringify(report.breaks)}`);
    assert.ok(report.checked > 0);

    restored = await hubOn(target.url, dstData, false, restoredKeys);
    assert.equal(await readPatient(restored, await login(restored, nurse), patientId), name);
  } finally {
    await restored?.stop();
    rmSync(work, { recursive: true, force: true });
    await source.drop();
    await target.drop();
  }
});

test('a damaged dump is refused before anything is restored', async () => {
  const source = await createScratchDatabase('sd_backup_src');
  const target = await createScratchDatabase('sd_backup_dst');
  const dir = mkdtempSync(join(tmpdir(), 'sd-backup-'));
  try {
    const keys = join(dir, 'keys');
    execFileSync('sh', ['-c', `mkdir -p ${keys} && echo k > ${keys}/k`]);
    const c = new pg.Client({ connectionString: source.url });
    await c.connect();
    await c.query('create table public.t (id int); insert into public.t values (1)');
    await c.end();
    const env = { ...process.env, DATABASE_URL: source.url, SPARKDEN_KEYS_DIR: keys };
    const file = execFileSync(join(here, 'backup.sh'), [join(dir, 'out')], { env })
      .toString()
      .trim();
    execFileSync('sh', ['-c', `printf 'x' | dd of=${file} bs=1 seek=100 conv=notrunc 2>/dev/null`]);

    assert.throws(() =>
      execFileSync(join(here, 'restore.sh'), [file], {
        env: { ...process.env, DATABASE_URL: target.url, SPARKDEN_KEYS_DIR: join(dir, 'k2') },
        stdio: 'pipe',
      }),
    );
    const { rows } = await withClient(target.url, (t) =>
      t.query(`select to_regclass('public.t') as t`),
    );
    assert.is(rows[0].t, null, 'nothing restored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await source.drop();
    await target.drop();
  }
});

test.run();
