import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { VITAL_CODES, findCodeByLoinc, findCodeByMdc } from './codes.js';
import { ObservationError } from './errors.js';
import { parseMessage } from './messages.js';
import { createObservation, parseObservation } from './observation.js';

const device = { id: 'dev-1', model: 'CMS50D+', transport: 'serial' as const };

test('createObservation fills LOINC, MDC, unit and a UUIDv7', () => {
  const obs = createObservation({ patient: 'p-1', device, code: 'spo2', value: 97 });

  assert.is(obs.loinc, '2708-6');
  assert.is(obs.mdc, 150456);
  assert.is(obs.unit, '%');
  assert.match(obs.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
});

test('every code has a LOINC code and a UCUM unit among its units', () => {
  for (const [key, info] of Object.entries(VITAL_CODES)) {
    assert.match(info.loinc, /^\d+-\d$/, key);
    assert.ok((info.units as readonly string[]).includes(info.unit), key);
  }
});

test('a blood pressure panel carries its components', () => {
  const obs = createObservation({
    patient: 'p-1',
    device,
    code: 'bp-panel',
    components: [
      { code: 'bp-systolic', value: 120 },
      { code: 'bp-diastolic', value: 80 },
      { code: 'bp-mean', dataAbsentReason: 'not-a-number' },
    ],
  });

  assert.is(obs.components?.[0]?.loinc, '8480-6');
  assert.is(obs.components?.[1]?.unit, 'mm[Hg]');
  assert.is(obs.components?.[2]?.value, undefined);
});

function rejection(input: unknown): ObservationError {
  try {
    parseObservation(input);
  } catch (e) {
    assert.instance(e, ObservationError);

    return e as ObservationError;
  }
  throw new Error('expected a rejection');
}

const good = createObservation({ patient: 'p-1', device, code: 'heart-rate', value: 72 });

test('a wrong unit is rejected naming the field', () => {
  const err = rejection({ ...good, unit: 'mmHg' });

  assert.is(err.code, 'INVALID');
  assert.match(err.message, /^unit: "mmHg" is not a UCUM unit/);
});

test('a missing value is rejected naming the field', () => {
  const { value: _value, ...noValue } = good;

  assert.match(rejection(noValue).message, /value: required/);
});

test('a non-finite value and a bad time are rejected', () => {
  assert.match(rejection({ ...good, value: Number.NaN }).message, /value/);
  assert.match(rejection({ ...good, effectiveAt: 'yesterday' }).message, /effectiveAt/);
});

test('a value and a data-absent reason together are rejected', () => {
  assert.match(rejection({ ...good, dataAbsentReason: 'error' }).message, /dataAbsentReason/);
});

test('a LOINC code that does not match the code key is rejected', () => {
  assert.match(rejection({ ...good, loinc: '2708-6' }).message, /loinc: does not match/);
});

test('glucose LOINC follows the unit: 2339-0 is mg/dL, 15074-8 is mmol/L', () => {
  const inMg = createObservation({ patient: 'p-1', device, code: 'glucose', value: 95 });
  const inMmol = createObservation({
    patient: 'p-1',
    device,
    code: 'glucose',
    value: 5.3,
    unit: 'mmol/L',
  });

  assert.equal([inMg.loinc, inMg.unit], ['2339-0', 'mg/dL']);
  assert.equal([inMmol.loinc, inMmol.unit], ['15074-8', 'mmol/L']);
  assert.match(rejection({ ...inMmol, loinc: '2339-0' }).message, /loinc: .*in mmol\/L/);
  assert.match(rejection({ ...inMg, loinc: '15074-8' }).message, /loinc: .*in mg\/dL/);
});

test('glucose is MDC_CONC_GLU_CAPILLARY_WHOLEBLOOD (2::29112), found by either LOINC', () => {
  assert.is(VITAL_CODES.glucose.mdc, (2 << 16) | 29112);
  assert.is(findCodeByMdc(160184), 'glucose');
  // 160196 is MDC_CONC_GLU_VENOUS_PLASMA (2::29124): another specimen, not this vital.
  assert.is(findCodeByMdc(160196), undefined);
  assert.is(findCodeByLoinc('15074-8'), 'glucose');
  assert.is(findCodeByLoinc('2339-0'), 'glucose');
});

test('a component on a non-panel is rejected', () => {
  const comps = [{ code: 'bp-systolic', loinc: '8480-6', value: 1, unit: 'mm[Hg]' }];

  assert.match(rejection({ ...good, components: comps }).message, /components/);
});

test('parseMessage names the path inside a batch', () => {
  const batch = {
    agentId: 'a-1',
    seq: 1,
    sentAt: new Date().toISOString(),
    observations: [good, { ...good, unit: 'bpm' }],
  };

  assert.throws(() => parseMessage('obs', batch), /obs\.observations\.1\.unit/);
});

test.run();
