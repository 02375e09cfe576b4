import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { SessionStore, type SessionData } from './session.js';

function data(accessToken: string): SessionData {
  return {
    accessToken,
    refreshToken: `r-${accessToken}`,
    accessExpiresAt: Date.now() + 300_000,
    idleTimeoutMs: 900_000,
    sub: 'u-1',
    role: 'nurse',
    units: ['ward-1'],
  };
}

test('concurrent refreshes share one call to the hub', async () => {
  const store = new SessionStore();
  store.start(data('a1'));
  let calls = 0;
  store.setRefresher(async () => {
    calls += 1;
    await new Promise((r) => setTimeout(r, 10));

    return data(`a${calls + 1}`);
  });

  const results = await Promise.all([store.refresh(), store.refresh(), store.refresh()]);

  assert.equal(results, [true, true, true]);
  assert.is(calls, 1);
  assert.is(store.accessToken(), 'a2');
});

test('a refused refresh keeps the session for the caller to end', async () => {
  const store = new SessionStore();
  store.start(data('a1'));
  store.setRefresher(() => Promise.reject(new Error('invalid_grant')));

  assert.is(await store.refresh(), false);
  assert.is(store.accessToken(), 'a1');
});

test('ending a session tells listeners why, once', () => {
  const store = new SessionStore();
  const seen: Array<string | undefined> = [];
  store.subscribe((d, reason) => seen.push(d ? 'started' : reason));
  store.start(data('a1'));

  store.expire('idle');
  store.expire('idle');

  assert.equal(seen, ['started', 'idle']);
  assert.is(store.current(), undefined);
});

test('an idle hold lasts until its last holder lets go, and restarts the idle clock', () => {
  const store = new SessionStore();
  store.start(data('a1'));
  const first = store.holdIdle();
  const second = store.holdIdle();

  first();
  first();
  assert.ok(store.isIdleHeld(), 'one holder is left');
  second();
  assert.not.ok(store.isIdleHeld());
});

test('a refresh that answers after the session ended does not sign the user back in', async () => {
  const store = new SessionStore();
  store.start(data('a1'));
  let answer: (next: SessionData) => void = () => undefined;
  store.setRefresher(() => new Promise((resolve) => (answer = resolve)));

  const refreshed = store.refresh();
  store.expire('idle');
  answer(data('a2'));

  assert.is(await refreshed, false);
  assert.is(store.current(), undefined);
});

test.run();
