import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase } from '../db/index.js';
import { applyTimescalePolicies } from './timescale-policies.js';

// PostgreSQL here has no TimescaleDB: stand-ins with the same names and named arguments
// record each call, so the policy script runs for real and its calls can be counted.
const STAND_INS = `
create schema vitals;
create table vitals.setting (key text primary key, value text not null);
create table policy_call (id serial primary key, fn text not null, arg text);
create function remove_compression_policy(hypertable text, if_exists boolean) returns void
  language sql as $$ insert into policy_call (fn) values ('remove_compression') $$;
create function add_compression_policy(hypertable text, compress_after interval) returns int
  language sql as $$ insert into policy_call (fn, arg) values ('add_compression', compress_after::text) returning 1 $$;
create function remove_retention_policy(relation text, if_exists boolean) returns void
  language sql as $$ insert into policy_call (fn) values ('remove_retention') $$;
create function add_retention_policy(relation text, drop_after interval) returns int
  language sql as $$ insert into policy_call (fn, arg) values ('add_retention', drop_after::text) returning 1 $$;
create function remove_continuous_aggregate_policy(continuous_aggregate text, if_exists boolean)
  returns void
  language sql as $$ insert into policy_call (fn) values ('remove_aggregate') $$;
create function add_continuous_aggregate_policy(continuous_aggregate text, start_offset interval,
  end_offset interval, schedule_interval interval) returns int
  language sql as $$ insert into policy_call (fn) values ('add_aggregate') returning 1 $$;`;

test('policies are set once, and again only when the configuration changes', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const calls = async () =>
    (
      await db.query<{ fn: string; arg: string | null }>(
        'select fn, arg from policy_call order by id',
      )
    ).rows.map((r) => (r.arg === null ? r.fn : `${r.fn} ${r.arg}`));
  try {
    await db.exec(STAND_INS);

    assert.ok(await applyTimescalePolicies(db, { compressAfterDays: 7, retentionDays: 365 }));
    const first = await calls();
    assert.equal(first, [
      'remove_compression',
      'add_compression 7 days',
      'remove_retention',
      'add_retention 365 days',
      'remove_aggregate',
      'add_aggregate',
    ]);

    // The hourly upkeep with the same configuration touches no job.
    for (let hour = 0; hour < 3; hour++) {
      assert.not.ok(await applyTimescalePolicies(db, { compressAfterDays: 7, retentionDays: 365 }));
    }
    assert.equal(await calls(), first);

    // A new retention (here: none) is applied once.
    assert.ok(await applyTimescalePolicies(db, { compressAfterDays: 7 }));
    assert.not.ok(await applyTimescalePolicies(db, { compressAfterDays: 7 }));
    const second = (await calls()).slice(first.length);
    assert.equal(second, [
      'remove_compression',
      'add_compression 7 days',
      'remove_retention',
      'remove_aggregate',
      'add_aggregate',
    ]);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test.run();
