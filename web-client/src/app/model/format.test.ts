import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { formatAgo, formatDuration } from './format.js';

test('durations read naturally at every scale', () => {
  assert.is(formatDuration(42_000), '42 s');
  assert.is(formatDuration(5 * 60_000), '5 min');
  assert.is(formatDuration(3 * 3_600_000 + 10 * 60_000), '3 h 10 min');
  assert.is(formatDuration(2 * 3_600_000), '2 h');
  assert.is(formatDuration(3 * 86_400_000), '3 d');
  assert.is(formatDuration(-5), '0 s');
});

test('ago handles missing and fresh times', () => {
  const now = Date.parse('2026-12-03T10:00:00Z');

  assert.is(formatAgo(undefined, now), 'never');
  assert.is(formatAgo('garbage', now), 'unknown');
  assert.is(formatAgo(now - 2000, now), 'just now');
  assert.is(formatAgo('2026-12-03T09:55:00Z', now), '5 min ago');
});

test.run();
