import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  dateRangeOf,
  normalizeReference,
  normalizeString,
  precisionRange,
} from './index-values.js';

test('[FHIR R4 search: date] a value covers the range its precision implies', () => {
  assert.equal(precisionRange('2024'), ['2024-01-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z']);
  assert.equal(precisionRange('2024-02'), ['2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z']);
  assert.equal(precisionRange('2024-03-05'), [
    '2024-03-05T00:00:00.000Z',
    '2024-03-05T23:59:59.999Z',
  ]);
  assert.equal(precisionRange('2024-03-05T10:00:00+02:00'), [
    '2024-03-05T08:00:00.000Z',
    '2024-03-05T08:00:00.999Z',
  ]);
  assert.is(precisionRange('yesterday'), undefined);
});

test('a Period spans start to end; an open end runs to the end of time', () => {
  assert.equal(dateRangeOf('Period', { start: '2024-01-01', end: '2024-01-02' }), [
    '2024-01-01T00:00:00.000Z',
    '2024-01-02T23:59:59.999Z',
  ]);
  assert.equal(dateRangeOf('Period', { start: '2024-01-01' })?.[1], '9999-12-31T23:59:59.999Z');
});

test('references and strings normalize for the index', () => {
  assert.is(normalizeReference('https://x.example/fhir/Patient/p1/_history/3'), 'Patient/p1');
  assert.is(normalizeString('  Zoë ÅBERG '), 'zoe aberg');
});

test.run();
