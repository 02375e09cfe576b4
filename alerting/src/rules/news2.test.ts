import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_RULES } from './defaults.js';
import { evaluateNews2, scoreNews2, type News2Readings } from './news2.js';
import { reading, T0 } from './test-readings.js';
import { defaultProfile, type News2Rule, type PatientProfile } from './types.js';

const profile = defaultProfile('p-1');

function vitals(v: {
  rr: number;
  spo2: number;
  sbp: number;
  hr: number;
  temp: number;
}): News2Readings {
  return {
    'resp-rate': reading('resp-rate', v.rr, 0),
    spo2: reading('spo2', v.spo2, 0),
    'bp-systolic': reading('bp-systolic', v.sbp, 0),
    'heart-rate': reading('heart-rate', v.hr, 0),
    'body-temp': reading('body-temp', v.temp, 0),
  };
}

const normal = { rr: 16, spo2: 97, sbp: 120, hr: 70, temp: 37.0 };

function scoreOf(name: string, v: Partial<typeof normal>, p: PatientProfile = profile) {
  return scoreNews2(vitals({ ...normal, ...v }), p).parts.find((x) => x.parameter === name)?.score;
}

// [RCP NEWS2 2017, chart 1] every band edge of every parameter.
test('respiratory rate bands', () => {
  const cases: Array<[number, number]> = [
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
  ];
  for (const [rr, s] of cases) {
    assert.is(scoreOf('resp-rate', { rr }), s, `rr ${rr}`);
  }
});

test('SpO2 scale 1 bands', () => {
  const cases: Array<[number, number]> = [
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ];
  for (const [spo2, s] of cases) {
    assert.is(scoreOf('spo2', { spo2 }), s, `spo2 ${spo2}`);
  }
});

test('SpO2 scale 2 bands, on air and on oxygen', () => {
  const air: PatientProfile = { ...profile, spo2Scale: 2 };
  const o2: PatientProfile = { ...air, onOxygen: true };
  const onAir: Array<[number, number]> = [
    [83, 3],
    [84, 2],
    [85, 2],
    [86, 1],
    [87, 1],
    [88, 0],
    [92, 0],
    [97, 0],
  ];
  for (const [spo2, s] of onAir) {
    assert.is(scoreOf('spo2', { spo2 }, air), s, `air ${spo2}`);
  }
  const onO2: Array<[number, number]> = [
    [87, 1],
    [88, 0],
    [92, 0],
    [93, 1],
    [94, 1],
    [95, 2],
    [96, 2],
    [97, 3],
  ];
  for (const [spo2, s] of onO2) {
    assert.is(scoreOf('spo2', { spo2 }, o2), s, `o2 ${spo2}`);
  }
  assert.is(scoreOf('air-or-oxygen', {}, o2), 2);
});

test('systolic, pulse and temperature bands', () => {
  const sbp: Array<[number, number]> = [
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
  ];
  for (const [v, s] of sbp) {
    assert.is(scoreOf('bp-systolic', { sbp: v }), s, `sbp ${v}`);
  }
  const hr: Array<[number, number]> = [
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
  ];
  for (const [v, s] of hr) {
    assert.is(scoreOf('heart-rate', { hr: v }), s, `hr ${v}`);
  }
  const temp: Array<[number, number]> = [
    [35.0, 3],
    [35.1, 1],
    [36.0, 1],
    [36.1, 0],
    [38.0, 0],
    [38.1, 1],
    [39.0, 1],
    [39.1, 2],
  ];
  for (const [v, s] of temp) {
    assert.is(scoreOf('body-temp', { temp: v }), s, `temp ${v}`);
  }
});

test('consciousness: anything but Alert scores 3', () => {
  for (const c of ['C', 'V', 'P', 'U'] as const) {
    assert.is(scoreOf('consciousness', {}, { ...profile, consciousness: c }), 3);
  }
  assert.is(scoreOf('consciousness', {}), 0);
});

test('bands: low, single 3 → low-medium, 5 → medium, 7 → high', () => {
  assert.is(scoreNews2(vitals(normal), profile).band, 'low');
  // rr 21 (2) + hr 91 (1) + temp 38.1 (1) = 4: still low.
  assert.is(scoreNews2(vitals({ ...normal, rr: 21, hr: 91, temp: 38.1 }), profile).total, 4);
  assert.is(scoreNews2(vitals({ ...normal, rr: 21, hr: 91, temp: 38.1 }), profile).band, 'low');
  // a single 3 with total 3.
  const single = scoreNews2(vitals({ ...normal, rr: 25 }), profile);
  assert.equal([single.total, single.band], [3, 'low-medium']);
  // 2 + 2 + 1 = 5.
  const five = scoreNews2(vitals({ ...normal, rr: 21, spo2: 93, hr: 91 }), profile);
  assert.equal([five.total, five.band], [5, 'medium']);
  // 2 + 2 + 2 + 1 = 7.
  const seven = scoreNews2(vitals({ ...normal, rr: 21, spo2: 93, hr: 111, temp: 38.5 }), profile);
  assert.equal([seven.total, seven.band], [7, 'high']);
});

test('evaluateNews2 ignores readings older than maxAgeMs and explains itself', () => {
  const rule = DEFAULT_RULES.find((r) => r.id === 'news2') as News2Rule;
  const latest = vitals({ ...normal, rr: 25 });
  latest.spo2 = reading('spo2', 80, -13 * 3600);
  const { score, outcome } = evaluateNews2(rule, latest, profile, T0);
  assert.equal(score.missing, ['spo2']);
  assert.is(outcome.action, 'fire');
  assert.match(
    outcome.explanation.summary,
    /NEWS2 3, low-medium clinical risk \(partial: no spo2\)/,
  );
  const rr = outcome.explanation.evidence.find((e) => e.code === 'resp-rate');
  assert.equal([rr?.value, rr?.score, rr?.at], [25, 3, new Date(T0).toISOString()]);
  const cleared = evaluateNews2(rule, vitals(normal), profile, T0).outcome;
  assert.is(cleared.action, 'clear');
});

test.run();
