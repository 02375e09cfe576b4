/**
 * The TimescaleDB SQL is not executed in this repository's runs (no server or PGlite build
 * here carries the extension; see alerting/README.md), so its text is pinned here: what it
 * must contain, statements and parentheses that close, and only the named arguments the
 * TimescaleDB 2.x functions take.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { HYPERTABLE_SQL, PARTITIONED_SQL, timescalePoliciesSql } from './schema-sql.js';

// [TimescaleDB 2.x API reference] named arguments this SQL may pass, per function.
const NAMED_ARGS: Record<string, string[]> = {
  create_hypertable: ['chunk_time_interval'],
  add_compression_policy: [],
  remove_compression_policy: ['if_exists'],
  add_retention_policy: [],
  remove_retention_policy: ['if_exists'],
  add_continuous_aggregate_policy: ['start_offset', 'end_offset', 'schedule_interval'],
  // Renamed from `if_not_exists` in TimescaleDB 2.8.
  remove_continuous_aggregate_policy: ['if_exists'],
};

const flat = (sql: string) => sql.replace(/\s+/g, ' ').trim();

function statements(sql: string): string[] {
  const body = flat(sql);
  assert.ok(body.endsWith(';'), 'the script ends with a semicolon');

  return body
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function assertBalanced(sql: string): void {
  let depth = 0;
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") {
      quoted = !quoted;
    } else if (!quoted && ch === '(') {
      depth++;
    } else if (!quoted && ch === ')') {
      depth--;
      assert.ok(depth >= 0, `a ")" closes nothing in: ${flat(sql).slice(0, 80)}`);
    }
  }
  assert.not.ok(quoted, 'every quote closes');
  assert.is(depth, 0, 'every "(" closes');
}

function assertTimescaleCalls(sql: string): void {
  const calls = [...flat(sql).matchAll(/select (\w+)\((.*?)\);/g)];
  assert.ok(calls.length > 0);
  for (const [, fn, args] of calls) {
    assert.ok(fn in NAMED_ARGS, `${fn} is a known TimescaleDB function`);
    const named = [...args.matchAll(/(\w+) =>/g)].map((m) => m[1]);
    for (const name of named) {
      assert.ok(NAMED_ARGS[fn].includes(name), `${fn} takes no argument "${name}"`);
    }
  }
}

test('the hypertable layout: a hypertable on effective_at, compression and an hourly aggregate', () => {
  const sql = flat(HYPERTABLE_SQL);

  assertBalanced(HYPERTABLE_SQL);
  assert.ok(statements(HYPERTABLE_SQL).length >= 5);
  assert.match(
    sql,
    "select create_hypertable('vitals.observation', 'effective_at', chunk_time_interval => interval '7 days');",
  );
  assert.match(sql, 'alter table vitals.observation set ( timescaledb.compress,');
  assert.match(sql, "timescaledb.compress_segmentby = 'patient, code'");
  assert.match(
    sql,
    /create materialized view vitals\.observation_hourly with \(timescaledb\.continuous[^)]*\) as select time_bucket\(interval '1 hour', effective_at\) as bucket, patient, code,/,
  );
  assert.match(sql, /from vitals\.observation where .* group by 1, 2, 3 with no data;$/);
  assertTimescaleCalls(HYPERTABLE_SQL);
});

test('both layouts create the same table, key and indexes; only the time split differs', () => {
  const table = (sql: string) =>
    flat(sql)
      .replace(' partition by range (effective_at)', '')
      .split('; create table vitals.observation_default')[0]
      .split('; select create_hypertable')[0];

  assert.is(table(PARTITIONED_SQL), table(HYPERTABLE_SQL));
  assert.match(table(HYPERTABLE_SQL), 'primary key (id, effective_at)');
  assertBalanced(PARTITIONED_SQL);
});

test('the policies: compression at the configured age, retention, aggregate refresh', () => {
  const sql = timescalePoliciesSql({ compressAfterDays: 9, retentionDays: 400 });
  const all = statements(sql);

  assertBalanced(sql);
  assertTimescaleCalls(sql);
  assert.ok(all.includes("select add_compression_policy('vitals.observation', interval '9 days')"));
  assert.ok(all.includes("select add_retention_policy('vitals.observation', interval '400 days')"));
  assert.ok(
    all.includes("select remove_compression_policy('vitals.observation', if_exists => true)"),
  );
  assert.ok(
    all.includes(
      "select remove_continuous_aggregate_policy('vitals.observation_hourly', if_exists => true)",
    ),
  );
  assert.match(
    flat(sql),
    "select add_continuous_aggregate_policy('vitals.observation_hourly', start_offset => interval '3 days', end_offset => interval '1 hour', schedule_interval => interval '30 minutes');",
  );
  // Each remove comes before its add: the script runs again whenever the settings change.
  const at = (prefix: string) => all.findIndex((s) => s.startsWith(prefix));
  assert.ok(at('select remove_compression_policy') < at('select add_compression_policy'));
  assert.ok(at('select remove_retention_policy') < at('select add_retention_policy'));
});

test('without a retention age no retention policy is added, and a stale one is removed', () => {
  const sql = timescalePoliciesSql({ compressAfterDays: 7 });

  assert.not.match(sql, 'add_retention_policy');
  assert.match(sql, "remove_retention_policy('vitals.observation', if_exists => true)");
  assert.match(sql, "interval '7 days'");
});

test('ages that are not whole days > 0 never reach the SQL', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => timescalePoliciesSql({ compressAfterDays: bad }), /compressAfterDays/);
    assert.throws(
      () => timescalePoliciesSql({ compressAfterDays: 7, retentionDays: bad }),
      /retentionDays/,
    );
  }
});

test.run();
