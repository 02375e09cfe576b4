import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_RULES } from './defaults.js';
import { PatientEvaluator } from './patient-evaluator.js';
import { reading } from './test-readings.js';
import { defaultProfile, type RuleOutcome } from './types.js';

const rules = DEFAULT_RULES.filter((r) => r.id === 'news2');

/** Feeds readings one by one, keeping open alerts as the engine would; returns what changed. */
function scenario(steps: Array<[code: string, value: number]>) {
  const ev = new PatientEvaluator(defaultProfile('p-1'));
  const open = new Map<string, string>();
  const log: string[] = [];
  const baseline: Array<[string, number]> = [
    ['resp-rate', 16],
    ['spo2', 97],
    ['heart-rate', 70],
    ['body-temp', 37.0],
  ];
  const isOpen = (ruleId: string, code: string) => open.has(`${ruleId}|${code}`);
  const apply = (o: RuleOutcome) => {
    const key = `${o.ruleId}|${o.code}`;
    if (o.action === 'clear') {
      if (open.delete(key)) {
        log.push('clear');
      }
    } else if (open.get(key) !== o.severity) {
      log.push(o.severity);
      open.set(key, o.severity);
    }
  };
  [...baseline, ...steps].forEach(([code, value], i) => {
    ev.observe(reading(code, value, i), rules, isOpen).forEach(apply);
  });

  return log;
}

test('NEWS2 hysteresis: respiration alternating 25/24 fires once and does not flap', () => {
  const flapping = Array.from({ length: 10 }, (_, i): [string, number] => [
    'resp-rate',
    i % 2 === 0 ? 25 : 24,
  ]);

  assert.equal(scenario(flapping), ['low-medium']);
});

test('NEWS2 hysteresis: clears after three evaluations in a row below the band', () => {
  const log = scenario([
    ['resp-rate', 25],
    ['resp-rate', 24],
    ['resp-rate', 24],
    ['resp-rate', 25],
    ['resp-rate', 24],
    ['resp-rate', 24],
    ['resp-rate', 24],
  ]);

  assert.equal(log, ['low-medium', 'clear']);
});

test('NEWS2 hysteresis: a total alternating 7/6 stays high; a worse band fires at once', () => {
  const six: Array<[string, number]> = [
    ['resp-rate', 21],
    ['spo2', 93],
    ['heart-rate', 111],
  ];
  const alternating = Array.from({ length: 8 }, (_, i): [string, number] => [
    'body-temp',
    i % 2 === 0 ? 38.5 : 37.0,
  ]);

  assert.equal(scenario([...six, ...alternating]), ['medium', 'high']);
  assert.equal(scenario([...six, ['body-temp', 38.5], ...Array(3).fill(['body-temp', 37.0])]), [
    'medium',
    'high',
    'medium',
  ]);
});

test('NEWS2 hysteresis: a rolled-back batch also rolls back the count below the band', () => {
  const ev = new PatientEvaluator(defaultProfile('p-1'));
  const isOpen = () => true;
  ev.observe(reading('resp-rate', 25, 0), rules, isOpen);
  ev.observe(reading('resp-rate', 24, 1), rules, isOpen);
  ev.observe(reading('resp-rate', 24, 2), rules, isOpen);
  const before = ev.snapshot();

  const undone = ev.observe(reading('resp-rate', 24, 3), rules, isOpen);
  ev.rollback(before);
  const again = ev.observe(reading('resp-rate', 24, 3), rules, isOpen);

  assert.equal(
    [undone, again].map((o) => o.map((x) => x.action)),
    [['clear'], ['clear']],
  );
});

test.run();
