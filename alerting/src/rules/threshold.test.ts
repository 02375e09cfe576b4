import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_RULES } from './defaults.js';
import { reading, T0 } from './test-readings.js';
import {
  evaluateThreshold,
  INITIAL_THRESHOLD_STATE,
  tickThreshold,
  type ThresholdState,
} from './threshold.js';
import type { RuleOutcome, ThresholdRule } from './types.js';

const spo2Low = DEFAULT_RULES.find((r) => r.id === 'spo2-low') as ThresholdRule;

/** Feeds a recorded 1 Hz SpO2 series (values per second from T0) and lists what fired. */
function replay(rule: ThresholdRule, series: number[]): Array<[number, RuleOutcome['action']]> {
  let state: ThresholdState = INITIAL_THRESHOLD_STATE;
  const events: Array<[number, RuleOutcome['action']]> = [];
  series.forEach((v, s) => {
    const r = evaluateThreshold(rule, state, reading('spo2', v, s));
    state = r.state;
    if (r.outcome) {
      events.push([s, r.outcome.action]);
    }
  });

  return events;
}

test('SpO2 < 90 must hold for 10 s before it fires', () => {
  // 9 s below 90 then recovery: nothing.
  assert.equal(replay(spo2Low, [97, ...Array(9).fill(88), 95, 95]), []);
  // below from s=1; fires at s=11 (10 s after the first breaching reading).
  assert.equal(replay(spo2Low, [97, ...Array(12).fill(88)]), [[11, 'fire']]);
});

test('a value at the threshold is not a breach; one reading back above restarts the window', () => {
  assert.equal(replay(spo2Low, Array(15).fill(90)), []);
  const series = [...Array(6).fill(88), 91, ...Array(11).fill(88)];
  // window restarts at s=7, fires at s=17 — 91 is not a breach.
  assert.equal(replay(spo2Low, series), [[17, 'fire']]);
});

test('hysteresis: values in 90–91 keep it firing; ≥ 92 for 10 s clears', () => {
  const firing = [...Array(11).fill(85)];
  const band = Array(20).fill(91);
  const back = Array(11).fill(93);
  const events = replay(spo2Low, [...firing, ...band, ...back]);
  assert.equal(events, [
    [10, 'fire'],
    [41, 'clear'],
  ]);
  // a dip into the band during the clearing window restarts it.
  const dip = [...Array(5).fill(93), 91, ...Array(11).fill(93)];
  assert.equal(replay(spo2Low, [...firing, ...dip]), [
    [10, 'fire'],
    [27, 'clear'],
  ]);
});

test('artefact-free gap: a pending window longer than maxGapMs starts over', () => {
  let state: ThresholdState = INITIAL_THRESHOLD_STATE;
  state = evaluateThreshold(spo2Low, state, reading('spo2', 85, 0)).state;
  const late = evaluateThreshold(spo2Low, state, reading('spo2', 85, 20));
  assert.is(late.outcome, undefined, 'a 20 s gap exceeds maxGap 15 s: window restarts');
  assert.is(late.state.since, T0 + 20_000);
});

test('tick fires a pending window when for elapses without a new reading', () => {
  let state: ThresholdState = INITIAL_THRESHOLD_STATE;
  state = evaluateThreshold(spo2Low, state, reading('spo2', 86, 0)).state;
  state = evaluateThreshold(spo2Low, state, reading('spo2', 84, 5)).state;
  assert.is(tickThreshold(spo2Low, state, 'p-1', T0 + 9_000).outcome, undefined);
  const fired = tickThreshold(spo2Low, state, 'p-1', T0 + 10_000).outcome;
  assert.is(fired?.action, 'fire');
  const ev = fired?.explanation.evidence ?? [];
  assert.equal(
    ev.map((e) => e.value),
    [86, 84, 84],
    'first, worst, latest',
  );
  assert.is(ev[0]?.at, new Date(T0).toISOString());
  assert.match(fired?.explanation.summary ?? '', /spo2 < 90 for 10 s/);
  // stale evidence: nothing fires from a reading older than maxGap.
  assert.is(tickThreshold(spo2Low, state, 'p-1', T0 + 25_000).outcome, undefined);
});

test('for 0 fires on the first breaching reading (above direction)', () => {
  const sbp = DEFAULT_RULES.find((r) => r.id === 'systolic-high') as ThresholdRule;
  assert.equal(replay(sbp, [150, 185, 175, 165]), [
    [1, 'fire'],
    [3, 'clear'],
  ]);
});

test.run();
