import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Severity } from '../rules/types.js';
import { EscalationScheduler } from './escalation-scheduler.js';
import { createAlert } from './lifecycle.js';
import type { Alert } from './types.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const NOT_STARTED = { policyId: '', step: -1, round: 0, target: '' };

function alert(severity: Severity, patientId = 'p-1'): Alert {
  const kind = 'threshold' as const;
  const explanation = { ruleId: 'r', ruleKind: kind, summary: '', thresholds: {}, evidence: [] };
  const fire = { action: 'fire' as const, ruleId: 'r', code: 'spo2', patientId, severity };
  const draft = { ...fire, title: 'Low SpO2', explanation };

  return createAlert(draft, 'ward-3', new Date(T0).toISOString(), NOT_STARTED);
}

test('a high alert starts at the nurse; a silenced one notifies no one yet', () => {
  const s = new EscalationScheduler();
  const a = alert('high');

  assert.equal([s.start(a, T0).policyId, s.start(a, T0).target], ['urgent', 'nurse']);
  assert.equal(s.start(a, T0, true), {
    policyId: 'urgent',
    step: -1,
    round: 0,
    target: '',
    nextAt: new Date(T0).toISOString(),
  });
});

test('due: only firing, unsilenced alerts whose next step has come', () => {
  const s = new EscalationScheduler();
  const started = (a: Alert) => ({ ...a, escalation: s.start(a, T0) });
  const firing = started(alert('high', 'p-1'));
  const acked = { ...started(alert('high', 'p-2')), status: 'acknowledged' as const };
  const quiet = started(alert('high', 'p-3'));
  const all = [firing, acked, quiet];
  const silenced = (a: Alert) => a.patientId === 'p-3';

  assert.equal(s.due(all, T0 + 59_999, silenced), []);
  const due = s.due(all, T0 + 60_000, silenced);
  assert.equal(
    due.map((d) => [d.alert.patientId, d.next.target]),
    [['p-1', 'charge-nurse']],
  );
});

test('manual escalation moves on at once; an unknown policy is a TypeError naming it', () => {
  const s = new EscalationScheduler();
  const a = { ...alert('high'), escalation: new EscalationScheduler().start(alert('high'), T0) };

  assert.is(s.manual(a, T0 + 1).target, 'charge-nurse');
  const broken = new EscalationScheduler({ policyFor: () => 'nope' });
  assert.throws(() => broken.start(a, T0), /no escalation policy "nope"/);
});

test.run();
