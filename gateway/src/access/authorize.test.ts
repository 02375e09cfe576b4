import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ACTION_ROLES, rolesForAction } from './authorize.js';

test('actions resolve whichever way a part spells them', () => {
  assert.equal(rolesForAction('alerts.read', ACTION_ROLES), ACTION_ROLES['alerts:read']);
  assert.equal(rolesForAction('alerts.alerts.silence', ACTION_ROLES), ACTION_ROLES['alerts:write']);
  assert.equal(rolesForAction('fleet.fleet:agents:read', ACTION_ROLES), ACTION_ROLES['fleet:read']);
  assert.equal(rolesForAction('fleet:tokens:create', ACTION_ROLES), ACTION_ROLES['fleet:write']);
  assert.equal(rolesForAction('visits:join', ACTION_ROLES), ['patient', 'nurse', 'clinician']);
  assert.is(rolesForAction('nothing.known', ACTION_ROLES), undefined);
});

test('billing never monitors, IT never reads vitals', () => {
  assert.not.ok(rolesForAction('alerts.read', ACTION_ROLES)?.includes('billing'));
  assert.not.ok(rolesForAction('vitals.read', ACTION_ROLES)?.includes('it-admin'));
});

test.run();
