import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { mayOpen, navFor } from './nav.js';

test('each role lands on its own view first', () => {
  assert.is(navFor('nurse')[0]?.route, 'console');
  assert.is(navFor('clinician')[0]?.route, 'worklist');
  assert.is(navFor('patient')[0]?.route, 'portal');
  assert.is(navFor('it-admin')[0]?.route, 'fleet');
});

test('staff and patients link to the video visit page', () => {
  for (const role of ['nurse', 'clinician', 'patient'] as const) {
    assert.ok(
      navFor(role).some((i) => i.external && i.route === 'visit.html'),
      role,
    );
  }
});

test('roles cannot open views that are not theirs', () => {
  assert.ok(mayOpen('nurse', 'patient/p-1'));
  assert.not.ok(mayOpen('patient', 'patient/p-2'));
  assert.not.ok(mayOpen('patient', 'console'));
  assert.not.ok(mayOpen('it-admin', 'console'));
  assert.not.ok(mayOpen('nurse', 'fleet'));
  assert.ok(mayOpen('patient', 'messages'));
});

test('nurses and clinicians read and answer patients’ messages; patients use their own view', () => {
  assert.ok(mayOpen('nurse', 'inbox'));
  assert.ok(mayOpen('clinician', 'inbox/p-1'));
  assert.not.ok(mayOpen('patient', 'inbox'));
  assert.not.ok(mayOpen('nurse', 'messages'));
  assert.not.ok(mayOpen('billing', 'inbox'));
});

test.run();
