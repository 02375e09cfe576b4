import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportMissingMedia, type PrerequisiteTest } from './media-prerequisite.js';

type Registered = { name: string; skipped: boolean; fn: () => void };

function recorder(): { t: PrerequisiteTest; seen: Registered[] } {
  const seen: Registered[] = [];
  const t = ((name: string, fn: () => void) => {
    seen.push({ name, skipped: false, fn });
  }) as PrerequisiteTest;
  t.skip = (name, fn) => {
    seen.push({ name, skipped: true, fn });
  };

  return { t, seen };
}

test('without SD_REQUIRE_MEDIA a missing worker registers a skipped test', () => {
  const { t, seen } = recorder();

  reportMissingMedia(t, 'visit e2e', 'no worker', {});

  assert.is(seen.length, 1);
  assert.ok(seen[0].skipped);
  assert.match(seen[0].name, /no worker/);
});

test('with SD_REQUIRE_MEDIA=1 a missing worker is a failing test naming it', () => {
  const { t, seen } = recorder();

  reportMissingMedia(t, 'visit e2e', '/usr/bin/chromium missing', { SD_REQUIRE_MEDIA: '1' });

  assert.is(seen.length, 1);
  assert.not.ok(seen[0].skipped);
  assert.throws(
    () => seen[0].fn(),
    (e: Error & { code?: string }) =>
      e.code === 'MEDIA_MISSING' && /chromium missing/.test(e.message),
  );
});

test.run();
