import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  advanceEscalation,
  DEFAULT_POLICIES,
  defaultPolicyId,
  startEscalation,
} from './escalation.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const urgent = DEFAULT_POLICIES.find((p) => p.id === 'urgent')!;
const low = DEFAULT_POLICIES.find((p) => p.id === 'low')!;

test('severities map to chains', () => {
  assert.equal(
    (['info', 'low', 'low-medium', 'medium', 'high', 'urgent'] as const).map(defaultPolicyId),
    ['console-only', 'console-only', 'low', 'standard', 'urgent', 'urgent'],
  );
});

test('urgent chain: nurse → charge nurse at 60 s → physician at 120 s → nurse again at 240 s', () => {
  let s = startEscalation(urgent, T0);
  assert.equal([s.target, s.nextAt], ['nurse', new Date(T0 + 60_000).toISOString()]);
  assert.is(advanceEscalation(urgent, s, T0 + 59_999), undefined);
  s = advanceEscalation(urgent, s, T0 + 60_000)!;
  assert.equal([s.target, s.step, s.round], ['charge-nurse', 1, 0]);
  s = advanceEscalation(urgent, s, T0 + 120_000)!;
  assert.equal([s.target, s.nextAt], ['physician', new Date(T0 + 240_000).toISOString()]);
  s = advanceEscalation(urgent, s, T0 + 240_000)!;
  assert.equal([s.target, s.step, s.round], ['nurse', 0, 1]);
});

test('a chain that does not repeat ends at its last step; manual escalation still notifies', () => {
  let s = startEscalation(low, T0);
  s = advanceEscalation(low, s, T0 + 15 * 60_000)!;
  assert.equal([s.target, s.nextAt], ['charge-nurse', undefined]);
  assert.is(advanceEscalation(low, s, T0 + 3_600_000), undefined);
  const forced = advanceEscalation(low, s, T0 + 3_600_000, true);
  assert.is(forced?.target, 'charge-nurse');
});

test('a manual escalation moves before the step is due', () => {
  const s = startEscalation(urgent, T0);
  assert.is(advanceEscalation(urgent, s, T0 + 1000, true)?.target, 'charge-nurse');
});

test('a silenced alert starts its chain from the first step', () => {
  const parked = {
    policyId: 'urgent',
    step: -1,
    round: 0,
    target: '',
    nextAt: new Date(T0).toISOString(),
  };
  assert.is(advanceEscalation(urgent, parked, T0)?.target, 'nurse');
});

test.run();
