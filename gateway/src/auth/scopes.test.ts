import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { allowedContexts, grantScopes, parseScope } from './scopes.js';

test('v1 and v2 scopes parse to the same letters', () => {
  assert.equal([...(parseScope('patient/*.read')?.letters ?? [])], ['r', 's']);
  assert.equal([...(parseScope('user/*.*')?.letters ?? [])], ['c', 'r', 'u', 'd', 's']);
  assert.equal([...(parseScope('system/Observation.rs')?.letters ?? [])], ['r', 's']);
  assert.equal([...(parseScope('user/Patient.cruds')?.letters ?? [])], ['c', 'r', 'u', 'd', 's']);
});

test('malformed scopes and non-clinical scopes are not clinical scopes', () => {
  for (const scope of [
    'openid',
    'offline_access',
    'patient/*.sr',
    'patient/*.',
    'doctor/*.read',
    'user/observation.read',
  ]) {
    assert.is(parseScope(scope), undefined, scope);
  }
});

test('allowedContexts answers per type and letter', () => {
  const scopes = ['patient/Observation.rs', 'user/Patient.read'];
  assert.equal(allowedContexts(scopes, 'Observation', 's'), ['patient']);
  assert.equal(allowedContexts(scopes, 'Observation', 'c'), []);
  assert.equal(allowedContexts(scopes, 'Patient', 'r'), ['user']);
  assert.equal(allowedContexts(scopes, 'Condition', 'r'), []);
});

test('grantScopes keeps only what the allowance covers', () => {
  assert.equal(
    grantScopes(['patient/*.read', 'user/*.cruds', 'openid'], ['patient/*.cruds', 'openid']),
    ['patient/*.read', 'openid'],
  );
  assert.equal(grantScopes(['user/*.read'], ['user/Observation.read']), []);
});

test.run();
