import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ACTION_ROLES, isReadAction, rolesForAction, scopesAllowAction } from './authorize.js';
import type { Caller } from './principal.js';

const caller = (role: Caller['role'], scopes: string[], patientId?: string): Caller => ({
  sub: 'u1',
  role,
  units: [],
  scopes,
  issuer: 'local',
  ...(patientId === undefined ? {} : { patientId }),
});

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

test('read actions are told apart however they are spelled', () => {
  assert.ok(isReadAction('alerts.read'));
  assert.ok(isReadAction('billing.billing:minutes'));
  assert.ok(isReadAction('fleet.fleet:agents:list'));
  assert.not.ok(isReadAction('billing.billing:ledger'));
  assert.not.ok(isReadAction('alerts.alerts.silence'));
});

test('SMART scopes bound /api actions: only wildcard scopes reach them', () => {
  const staff = caller('clinician', ['user/*.cruds']);
  assert.ok(scopesAllowAction(staff, 'alerts.read'));
  assert.ok(scopesAllowAction(staff, 'alerts.silence'));
  const readOnlyApp = caller('clinician', ['user/*.rs']);
  assert.ok(scopesAllowAction(readOnlyApp, 'alerts.read'));
  assert.not.ok(scopesAllowAction(readOnlyApp, 'alerts.silence'), 'no u, no write');
  assert.not.ok(scopesAllowAction(caller('nurse', ['user/Observation.rs']), 'alerts.read'));
  assert.not.ok(scopesAllowAction(caller('system', ['system/*.read']), 'billing:ledger'));
  assert.ok(scopesAllowAction(caller('system', ['system/*.read']), 'billing:read'));
});

test('patient/ scopes reach /api only for the patient themself, on their own record', () => {
  const app = caller('patient', ['patient/*.read'], 'p1');
  assert.ok(scopesAllowAction(app, 'vitals:read', { patientId: 'p1' }));
  assert.not.ok(scopesAllowAction(app, 'vitals:read', { patientId: 'p2' }));
  assert.not.ok(scopesAllowAction(app, 'visits:write', { patientId: 'p1' }));
  assert.not.ok(
    scopesAllowAction(caller('clinician', ['patient/*.read'], 'p1'), 'vitals:read'),
    'a staff token in a patient context is not the patient',
  );
});

test.run();
