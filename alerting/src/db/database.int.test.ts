import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { openDatabase, type Database } from './database.js';
import { runMigrations } from './migrations.js';
import { createScratchDatabase } from './scratch.js';

async function exercise(db: Database) {
  const first = await runMigrations(db, {
    schema: 'demo',
    migrations: [
      {
        name: '0001-things',
        up: (q) => q.exec('create table demo.things (id int primary key, n int8 not null)'),
      },
    ],
  });
  const second = await runMigrations(db, {
    schema: 'demo',
    migrations: [{ name: '0001-things', up: () => Promise.reject(new Error('ran twice')) }],
  });
  assert.equal(first, ['0001-things']);
  assert.equal(second, []);

  await db.query('insert into demo.things values ($1, $2)', [1, 5]);
  const { rows } = await db.query<{ n: number }>('select n from demo.things');
  assert.is(rows[0]?.n, 5);

  await db
    .transaction(async (tx) => {
      await tx.query('insert into demo.things values (2, 2)');
      throw new Error('abort');
    })
    .catch(() => undefined);
  const count = await db.query<{ c: number }>('select count(*)::int8 c from demo.things');
  assert.is(count.rows[0]?.c, 1, 'a thrown transaction rolls back');

  const failing = runMigrations(db, {
    schema: 'demo',
    migrations: [
      { name: '0001-things', up: () => Promise.resolve() },
      {
        name: '0002-broken',
        up: async (q) => {
          await q.exec('create table demo.half (id int)');
          await q.exec('select * from no_such_table');
        },
      },
    ],
  });
  try {
    await failing;
    assert.unreachable('a broken migration must fail');
  } catch (e) {
    assert.instance(e, Error);
  }
  const half = await db.query(`select to_regclass('demo.half') as t`);
  assert.is(half.rows[0]?.t, null, 'a broken migration leaves nothing behind');
}

test('PostgreSQL: migrations run once, transactions roll back, failures leave nothing', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await exercise(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test('PGlite: the same behaviour embedded', async () => {
  const db = await openDatabase();
  try {
    await exercise(db);
  } finally {
    await db.close();
  }
});

test('a bad url is a TypeError naming the option', async () => {
  try {
    await openDatabase({ url: 'mysql://x' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TypeError);
    assert.match((e as Error).message, /"url"/);
  }
});

test.run();
