import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Explanation } from './alerts.js';
import { news2Band, readNews2, staleBy } from './news2.js';

function explanation(evidence: Explanation['evidence'], total?: number): Explanation {
  return {
    ruleId: 'news2',
    ruleKind: 'news2',
    summary: 'NEWS2 rose',
    thresholds: total === undefined ? {} : { total },
    evidence,
  };
}

const at = '2026-12-03T10:00:00Z';

test('bands follow RCP NEWS2 chart 2', () => {
  assert.is(news2Band(7, []), 'high');
  assert.is(news2Band(5, []), 'medium');
  assert.is(news2Band(3, [{ score: 3 }]), 'low-medium');
  assert.is(news2Band(4, [{ score: 2 }, { score: 2 }]), 'low');
});

test('reads each parameter with its score and sums the total', () => {
  const n = readNews2(
    explanation([
      { code: 'resp-rate', value: 24, unit: '/min', at, score: 2 },
      { code: 'spo2', value: 91, unit: '%', at, score: 3 },
      { code: 'heart-rate', value: 112, unit: '/min', at, score: 2 },
      { code: 'air-or-oxygen', value: 'air', at, score: 0 },
    ]),
  );

  assert.ok(n);
  assert.is(n.total, 7);
  assert.is(n.band, 'high');
  assert.equal(n.parts.find((p) => p.key === 'oxygen')?.value, 'Air');
  assert.equal(n.missing, ['Systolic BP', 'Consciousness', 'Temperature']);
});

test('coded values read as words', () => {
  const n = readNews2(explanation([{ code: 'consciousness', value: 'C', at, score: 3 }]));

  assert.is(n?.parts.find((p) => p.key === 'consciousness')?.value, 'New confusion (C)');
  assert.is(n?.band, 'low-medium');
});

test('units read as on the chart, not as the UCUM codes the hub sends', () => {
  const n = readNews2(
    explanation([
      { code: 'bp-systolic', value: 88, unit: 'mm[Hg]', at, score: 3 },
      { code: 'body-temp', value: 39.4, unit: 'Cel', at, score: 2 },
    ]),
  );

  assert.is(n?.parts.find((p) => p.key === 'bp-systolic')?.unit, 'mmHg');
  assert.is(n?.parts.find((p) => p.key === 'body-temp')?.unit, '°C');
});

test('a stated total wins over the sum of known parts', () => {
  const n = readNews2(explanation([{ code: 'spo2', value: 95, at, score: 1 }], 5));

  assert.is(n?.total, 5);
  assert.is(n?.band, 'medium');
});

test('other rules have no NEWS2 breakdown', () => {
  assert.is(readNews2({ ...explanation([]), ruleKind: 'threshold' }), undefined);
  assert.is(readNews2(undefined), undefined);
});

test('a part measured over an hour before the newest is stale, with its lag', () => {
  const parts = [
    { key: 'resp-rate', label: 'Respiration rate', unit: '/min', at: '2026-12-03T10:00:00Z' },
    { key: 'bp-systolic', label: 'Systolic BP', unit: 'mmHg', at: '2026-12-03T07:30:00Z' },
    { key: 'spo2', label: 'SpO₂', unit: '%', at: '2026-12-03T09:30:00Z' },
    { key: 'oxygen', label: 'Air or oxygen', unit: '' },
  ];

  assert.equal([...staleBy(parts)], [['bp-systolic', 150 * 60_000]]);
  assert.equal([...staleBy([])], []);
});

test.run();
