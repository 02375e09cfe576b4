import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { toSessionData } from './auth.js';
import { readErrorMessage } from './http.js';

function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) =>
    btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

  return `${part({ alg: 'ES256' })}.${part(claims)}.sig`;
}

test('reads role, units and expiry from the access token claims', () => {
  const data = toSessionData({
    access_token: jwt({ sub: 'u-1', role: 'nurse', units: ['ward-3'], exp: 2_000_000_000 }),
    refresh_token: 'r-1',
    expires_in: 300,
  });

  assert.is(data.role, 'nurse');
  assert.equal(data.units, ['ward-3']);
  assert.is(data.accessExpiresAt, 2_000_000_000_000);
  assert.is(data.refreshToken, 'r-1');
});

test('a patient token carries the patient id; a refresh keeps what it does not repeat', () => {
  const first = toSessionData({
    access_token: jwt({ sub: 'u-2', role: 'patient', patient: 'p-9' }),
    refresh_token: 'r-1',
    expires_in: 300,
  });
  const next = toSessionData({ access_token: jwt({ sub: 'u-2', role: 'patient' }) }, first);

  assert.is(first.patientId, 'p-9');
  assert.is(next.patientId, 'p-9');
  assert.is(next.refreshToken, 'r-1');
});

test("the session's limits come from the hub's answer, not from defaults", () => {
  const data = toSessionData({
    access_token: jwt({ sub: 'u-3', role: 'nurse' }),
    session_expires_at: 2_000_000_000,
    idle_timeout: 600,
  });

  assert.is(data.absoluteExpiresAt, 2_000_000_000_000);
  assert.is(data.idleTimeoutMs, 600_000);
});

test('an answer without an access token is an error', () => {
  assert.throws(() => toSessionData({}), /access token/);
});

test('error bodies: OAuth, plain and OperationOutcome', () => {
  const oauth = { error: 'invalid_grant', error_description: 'mfa_required' };
  const outcome = { resourceType: 'OperationOutcome', issue: [{ diagnostics: 'nope' }] };

  assert.is(readErrorMessage(oauth, 'x'), 'mfa_required');
  assert.is(readErrorMessage({ message: 'bad' }, 'x'), 'bad');
  assert.is(readErrorMessage(outcome, 'x'), 'nope');
  assert.is(readErrorMessage('text', 'x'), 'x');
});

test.run();
