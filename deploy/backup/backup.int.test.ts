import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase } from '@sparkden/alerting';

const here = fileURLToPath(new URL('.', import.meta.url));

async function snapshot(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `select (select json_agg(t order by id) from vitals.obs t)::text as v,
              (select json_agg(t order by seq) from audit.log t)::text as a`,
    );

    return JSON.stringify(rows[0]);
  } finally {
    await c.end();
  }
}

test('a backup restores into an empty database with every row intact', async () => {
  const source = await createScratchDatabase('sd_backup_src');
  const target = await createScratchDatabase('sd_backup_dst');
  const dir = mkdtempSync(join(tmpdir(), 'sd-backup-'));
  try {
    const c = new pg.Client({ connectionString: source.url });
    await c.connect();
    await c.query(`create schema vitals; create schema audit;
      create table vitals.obs (id uuid primary key, v double precision, t timestamptz);
      create table audit.log (seq bigserial primary key, hash text not null);
      insert into vitals.obs select gen_random_uuid(), random(), now() from generate_series(1, 500);
      insert into audit.log (hash) select md5(g::text) from generate_series(1, 50) g;`);
    await c.end();

    const env = { ...process.env, DATABASE_URL: source.url };
    execFileSync(join(here, 'backup.sh'), [dir], { env, stdio: 'pipe' });
    const dump = readdirSync(dir).find((f) => f.endsWith('.dump'));
    assert.ok(dump, 'a dump file was written');
    execFileSync(join(here, 'restore.sh'), [join(dir, dump)], {
      env: { ...process.env, DATABASE_URL: target.url },
      stdio: 'pipe',
    });

    assert.is(await snapshot(target.url), await snapshot(source.url));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await source.drop();
    await target.drop();
  }
});

test('a damaged dump is refused before anything is restored', async () => {
  const source = await createScratchDatabase('sd_backup_src');
  const target = await createScratchDatabase('sd_backup_dst');
  const dir = mkdtempSync(join(tmpdir(), 'sd-backup-'));
  try {
    const env = { ...process.env, DATABASE_URL: source.url };
    const c = new pg.Client({ connectionString: source.url });
    await c.connect();
    await c.query('create table public.t (id int); insert into public.t values (1)');
    await c.end();
    const file = execFileSync(join(here, 'backup.sh'), [dir], { env }).toString().trim();
    execFileSync('sh', ['-c', `printf 'x' | dd of=${file} bs=1 seek=100 conv=notrunc 2>/dev/null`]);

    assert.throws(() =>
      execFileSync(join(here, 'restore.sh'), [file], {
        env: { ...process.env, DATABASE_URL: target.url },
        stdio: 'pipe',
      }),
    );
    const t = new pg.Client({ connectionString: target.url });
    await t.connect();
    const { rows } = await t.query(`select to_regclass('public.t') as t`);
    await t.end();
    assert.is(rows[0].t, null, 'nothing restored');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await source.drop();
    await target.drop();
  }
});

test.run();
