import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Participant } from './participant.js';
import { VisitClock } from './visit-clock.js';

function who(role: Participant['role'], state: Participant['state']): Participant {
  return { role, state } as Participant;
}

test('interactive time runs only while the host and the patient are both in the call', () => {
  const clock = new VisitClock();
  const host = who('host', 'in-call');
  const patient = who('patient', 'lobby');
  clock.started(0);
  clock.update(0, [host, patient]);

  patient.state = 'in-call';
  clock.update(60_000, [host, patient]);
  patient.state = 'left';
  clock.update(360_000, [host, patient]);

  assert.is(clock.startedAt, 0);
  assert.is(clock.interactiveSeconds(900_000), 300);
});

test('a guest alone with the host is not interactive time with the patient', () => {
  const clock = new VisitClock();
  const people = [who('host', 'in-call'), who('guest', 'in-call')];

  clock.update(0, people);

  assert.is(clock.interactiveSeconds(600_000), 0);
});

test('an interval still open counts up to now', () => {
  const clock = new VisitClock();
  clock.update(1_000, [who('host', 'in-call'), who('patient', 'in-call')]);

  assert.is(clock.interactiveSeconds(121_000), 120);
});

test.run();
