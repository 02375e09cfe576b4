import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_RULES } from './defaults.js';
import { alarmOutcome, flagOutcome } from './device.js';
import { applyOverride, checkOverride, RuleError } from './overrides.js';
import { PatientEvaluator } from './patient-evaluator.js';
import { evaluateStale } from './stale.js';
import { reading, T0 } from './test-readings.js';
import { evaluateTrend } from './trend.js';
import {
  defaultProfile,
  type PassThroughRule,
  type Rule,
  type StaleRule,
  type TrendRule,
} from './types.js';

const rule = (id: string) => DEFAULT_RULES.find((r) => r.id === id) as Rule;
const DAY = 86_400;
const hf = { ...defaultProfile('p-1'), conditions: ['heart-failure'] };

test('weight gain > 2 kg within 3 days fires only for heart-failure patients', () => {
  const weight = rule('weight-gain-hf') as TrendRule;
  const w = [
    reading('body-weight', 80, 0),
    reading('body-weight', 81, DAY),
    reading('body-weight', 82.1, 2 * DAY),
  ];
  assert.is(evaluateTrend(weight, w, hf, false)?.action, 'fire');
  assert.is(evaluateTrend(weight, w, defaultProfile('p-1'), false), undefined);
  // exactly 2 kg is not "more than 2 kg"
  const two = [w[0], reading('body-weight', 82, 2 * DAY)];
  assert.is(evaluateTrend(weight, two, hf, false), undefined);
  // the gain spread over 4 days is outside the window
  const slow = [
    reading('body-weight', 80, 0),
    reading('body-weight', 81, 2 * DAY),
    reading('body-weight', 82.5, 4 * DAY),
  ];
  assert.is(evaluateTrend(weight, slow, hf, false), undefined);
  // firing clears once the rise falls to 1.5 kg
  const down = [...w, reading('body-weight', 81.4, 2.5 * DAY)];
  assert.is(evaluateTrend(weight, down, hf, true)?.action, 'clear');
  const fired = evaluateTrend(weight, w, hf, false);
  assert.equal(
    fired?.explanation.evidence.map((e) => e.value),
    [80, 82.1],
  );
});

test('rising temperature needs a 1 °C rise and a latest value of 37.8 or more', () => {
  const temp = rule('temperature-rising') as TrendRule;
  const p = defaultProfile('p-1');
  const t = (v: number, h: number) => reading('body-temp', v, h * 3600);
  assert.is(evaluateTrend(temp, [t(36.8, 0), t(37.9, 6)], p, false)?.action, 'fire');
  assert.is(evaluateTrend(temp, [t(36.0, 0), t(37.2, 6)], p, false), undefined, 'not febrile');
});

test('no-data: silent past factor × cadence fires, reporting again clears', () => {
  const stale = { ...(rule('stale-data') as StaleRule), defaultCadenceMs: { spo2: 60_000 } };
  const d = { deviceId: 'dev-1', patientId: 'p-1', codes: ['spo2'], lastAt: T0 };
  assert.is(evaluateStale(stale, d, T0 + 180_000, false), undefined, 'exactly 3 × cadence');
  const fired = evaluateStale(stale, d, T0 + 180_001, false);
  assert.equal([fired?.action, fired?.code], ['fire', 'device/dev-1']);
  assert.is(
    evaluateStale(stale, { ...d, lastAt: T0 + 170_000 }, T0 + 180_001, true)?.action,
    'clear',
  );
  assert.is(
    evaluateStale(stale, { ...d, codes: ['body-weight'] }, T0 + 10 * DAY * 1000, false),
    undefined,
    'no cadence known',
  );
  assert.is(
    evaluateStale(
      stale,
      { ...d, codes: ['body-weight'], cadenceMs: DAY * 1000 },
      T0 + 4 * DAY * 1000,
      false,
    )?.action,
    'fire',
  );
});

test('device alarms and HL7 flags pass through with mapped severities', () => {
  const alarm = alarmOutcome(rule('device-alarm') as PassThroughRule, 'agent-1', {
    id: '0190a0a0-0000-7000-8000-000000000001',
    patient: 'p-1',
    deviceId: 'dev-1',
    kind: 'device',
    severity: 'urgent',
    code: 'ASYSTOLE',
    reason: 'device-alarm',
    raisedAt: new Date(T0).toISOString(),
  });
  assert.equal(
    [alarm.action, alarm.action === 'fire' && alarm.severity, alarm.code],
    ['fire', 'urgent', 'ASYSTOLE'],
  );
  const flags = rule('device-flag') as PassThroughRule;
  const hh = flagOutcome(flags, reading('glucose', 420, 0, { interpretation: ['HH'] }));
  assert.equal([hh.action, hh.action === 'fire' && hh.severity], ['fire', 'high']);
  const h = flagOutcome(flags, reading('glucose', 190, 0, { interpretation: ['H'] }));
  assert.equal(h.action === 'fire' && h.severity, 'low');
  assert.is(
    flagOutcome(flags, reading('glucose', 100, 0, { interpretation: ['N'] })).action,
    'clear',
  );
});

test('evaluator: artefact readings never fire a threshold; probe-off persists 30 s before a technical alert', () => {
  const ev = new PatientEvaluator(defaultProfile('p-1'));
  const open = new Set<string>();
  const isOpen = (r: string, c: string) => open.has(`${r}|${c}`);
  const out = [];
  for (let s = 0; s <= 40; s++) {
    out.push(
      ...ev.observe(reading('spo2', 70, s, { quality: ['probe-off'] }), DEFAULT_RULES, isOpen),
    );
  }
  assert.equal(
    out.map((o) => [o.ruleId, o.action, o.code]),
    [['device-status', 'fire', 'device/dev-1/probe-off']],
  );
  open.add('device-status|device/dev-1/probe-off');
  const back = ev.observe(reading('spo2', 97, 41), DEFAULT_RULES, isOpen);
  assert.equal(
    back.map((o) => [o.ruleId, o.action]),
    [['device-status', 'clear']],
  );
});

test('overrides: checked against the rule and laid over it', () => {
  const spo2 = rule('spo2-low');
  const o = {
    ruleId: 'spo2-low',
    patientId: 'p-1',
    params: { threshold: 85, clearAt: 88 },
    setBy: 'dr',
    setAt: '',
  };
  checkOverride(spo2, o.params);
  assert.is((applyOverride(spo2, o) as { threshold: number }).threshold, 85);
  assert.throws(
    () => checkOverride(spo2, { threshold: 'low' }),
    (e: unknown) => e instanceof RuleError && e.code === 'INVALID_OVERRIDE',
  );
  assert.throws(() => checkOverride(spo2, { clearAt: 80 }), /safe side/);
  assert.throws(() => checkOverride(spo2, { kind: 'news2' }), /cannot be overridden/);
  assert.throws(() => checkOverride(spo2, { severity: 'meh' }), /"severity"/);
});

test('rollback: a batch undone after a snapshot fires again when it is seen again', () => {
  const spo2 = rule('spo2-low');
  const ev = new PatientEvaluator(defaultProfile('p-1'));
  const none = () => false;
  const batch = [reading('spo2', 85, 0), reading('spo2', 85, 5), reading('spo2', 85, 11)];
  const rules = [spo2, rule('news2')];
  const fired = () =>
    batch
      .flatMap((r) => ev.observe(r, rules, none))
      .filter((o) => o.action === 'fire' && o.ruleId === 'spo2-low');

  const before = ev.snapshot();
  assert.is(fired().length, 1, 'SpO2 < 90 % past the 10 s window fires');
  assert.is(ev.latest.spo2?.value, 85);
  assert.is(fired().length, 0, 'seen again without a rollback: already firing, nothing');
  ev.rollback(before);
  assert.is(ev.latest.spo2, undefined, 'the NEWS2 inputs are rolled back too');
  assert.is(fired().length, 1, 'after the rollback the same readings fire again');
});

test.run();
