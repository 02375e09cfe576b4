/**
 * `backup.sh --keep=N`, the rotation the Kubernetes CronJob (deploy/k8s/backup.yaml) relies
 * on. `pg_dump` is a stand-in that writes a file: what is under test is which backups stay,
 * not the dump (backup.int.test.ts dumps and restores a real database).
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));
const script = join(here, 'backup.sh');
const work = mkdtempSync(join(tmpdir(), 'sd-backup-keep-'));
const bin = join(work, 'bin');
const keys = join(work, 'keys');

mkdirSync(bin);
mkdirSync(keys);
writeFileSync(join(keys, 'jwt.key'), 'k');
// Writes the file named by --file=…, as pg_dump does.
writeFileSync(
  join(bin, 'pg_dump'),
  '#!/usr/bin/env bash\nfor a; do [[ $a == --file=* ]] && echo dump >"${a#--file=}"; done\n',
);
chmodSync(join(bin, 'pg_dump'), 0o755);

function backup(out: string, ...args: string[]) {
  return spawnSync('bash', [script, ...args, out], {
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      DATABASE_URL: 'postgres://stand-in/db',
      SPARKDEN_KEYS_DIR: keys,
    },
  });
}

/** An older backup set, as backup.sh leaves it. */
function seed(out: string, stamp: string): void {
  const base = join(out, `sparkden-${stamp}.dump`);
  for (const f of [base, `${base}.keys.tar.gz`, `${base}.sha256`]) {
    writeFileSync(f, 'old');
  }
}

function fresh(name: string): string {
  const out = join(work, name);
  mkdirSync(out);
  seed(out, '20250101T000000Z');
  seed(out, '20250102T000000Z');
  seed(out, '20250103T000000Z');
  writeFileSync(join(out, 'sparkden-20250104T000000Z.dump.partial'), 'failed run');
  writeFileSync(join(out, 'README'), 'not a backup');

  return out;
}

test('--keep=2 leaves the new backup and the newest older one, with their files', () => {
  const out = fresh('keep2');
  const r = backup(out, '--keep=2');
  assert.is(r.status, 0, r.stderr);

  const made = r.stdout.trim().split('/').at(-1)!;
  assert.match(made, /^sparkden-\d{8}T\d{6}Z\.dump$/);
  assert.equal(readdirSync(out).sort(), [
    'README',
    'sparkden-20250103T000000Z.dump',
    'sparkden-20250103T000000Z.dump.keys.tar.gz',
    'sparkden-20250103T000000Z.dump.sha256',
    made,
    `${made}.keys.tar.gz`,
    `${made}.sha256`,
  ]);
});

test('without --keep every backup stays', () => {
  const out = fresh('all');
  const r = backup(out);
  assert.is(r.status, 0, r.stderr);

  const dumps = readdirSync(out).filter((f) => f.endsWith('.dump'));
  assert.is(dumps.length, 4);
  assert.ok(readdirSync(out).includes('sparkden-20250104T000000Z.dump.partial'));
});

test('a bad --keep stops before anything is dumped or deleted', () => {
  for (const [i, bad] of ['--keep=0', '--keep=two', '--keep='].entries()) {
    const out = fresh(`bad-${i}`);
    const before = readdirSync(out).sort();
    const r = backup(out, bad);

    assert.is(r.status, 2, bad);
    assert.match(r.stderr, /--keep must be a number/);
    assert.equal(readdirSync(out).sort(), before);
  }
});

test('the CronJob runs this script with --keep, its pg_dump matching the server major', () => {
  const docs = parseAllDocuments(readFileSync(join(here, '../k8s/backup.yaml'), 'utf8')).map(
    (d) => d.toJS() as Record<string, any>,
  );
  const cron = docs.find((d) => d.kind === 'CronJob')!;
  const pod = cron.spec.jobTemplate.spec.template.spec;
  const dump = pod.containers.find((c: { name: string }) => c.name === 'backup');
  const argv = (dump.command as string[]).concat(dump.args ?? []);
  assert.ok(
    argv.some((a) => a.endsWith('/backup.sh')),
    'runs backup.sh',
  );
  assert.ok(
    argv.some((a) => /^--keep=[1-9]\d*$/.test(a)),
    'keeps N copies',
  );

  // The compose file's server is the one pg_dump must match ([pg_dump: it refuses a newer
  // server major than its own]).
  const compose = readFileSync(join(here, '../compose/compose.yaml'), 'utf8');
  const server = /timescale\/timescaledb:\S+-pg(\d+)/.exec(compose)?.[1];
  const client = /^postgres:(\d+)/.exec(String(dump.image))?.[1];
  assert.ok(server, 'compose names the server major');
  assert.is(client, server, `pg_dump ${client}, server ${server}`);
});

test.after(() => {
  rmSync(work, { recursive: true, force: true });
});

test.run();
