import { VITAL_CODES, createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createLogger } from '../log.js';
import { LOCAL_ALARM_CODES, toPreferredUnit } from './alarm-values.js';
import { LocalAlarms } from './local-alarms.js';

const device = { id: 'oxi-1', transport: 'serial' as const };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
const spo2 = (value: number, s: number) =>
  createObservation({ patient: 'p-1', device, code: 'spo2', value, effectiveAt: at(s) });

test('a rule fires once after the breach lasted forSeconds, and re-arms on recovery', () => {
  const alarms = new LocalAlarms({
    rules: [{ name: 'SPO2_LOW', code: 'spo2', below: 88, forSeconds: 10, severity: 'urgent' }],
    log: createLogger({ level: 'silent' }),
  });

  assert.equal(alarms.evaluate(spo2(85, 0)), []);
  assert.equal(alarms.evaluate(spo2(84, 5)), []);
  const fired = alarms.evaluate(spo2(84, 10));
  assert.is(fired.length, 1);
  assert.is(fired[0]?.code, 'SPO2_LOW');
  assert.is(fired[0]?.reason, 'below-threshold');
  assert.equal(alarms.evaluate(spo2(83, 20)), []);
  alarms.evaluate(spo2(95, 25));
  alarms.evaluate(spo2(80, 30));
  assert.is(alarms.evaluate(spo2(80, 40)).length, 1);
});

test('rules apply only to their code and devices', () => {
  const alarms = new LocalAlarms({
    rules: [
      {
        name: 'HR_HIGH',
        code: 'heart-rate',
        above: 130,
        forSeconds: 0,
        severity: 'urgent',
        devices: ['other'],
      },
    ],
    log: createLogger({ level: 'silent' }),
  });
  const hr = createObservation({ patient: 'p-1', device, code: 'heart-rate', value: 150 });

  assert.equal(alarms.evaluate(hr), []);
  assert.equal(alarms.evaluate(spo2(50, 0)), []);
});

const cuff = { id: 'bp-1', transport: 'ble' as const };
const bp = (systolic: number, diastolic: number, unit = 'mm[Hg]', s = 0) =>
  createObservation({
    patient: 'p-1',
    device: cuff,
    code: 'bp-panel',
    effectiveAt: at(s),
    components: [
      { code: 'bp-systolic', value: systolic, unit },
      { code: 'bp-diastolic', value: diastolic, unit },
    ],
  });
const silent = createLogger({ level: 'silent' });

test('blood pressure rules read the components of a panel', () => {
  const alarms = new LocalAlarms({
    rules: [
      { name: 'SYS_HIGH', code: 'bp-systolic', above: 180, forSeconds: 0, severity: 'urgent' },
      { name: 'DIA_LOW', code: 'bp-diastolic', below: 40, forSeconds: 0, severity: 'warning' },
    ],
    log: silent,
  });

  assert.equal(alarms.evaluate(bp(120, 80)), []);
  const high = alarms.evaluate(bp(195, 85));
  assert.equal(
    high.map((a) => [a.code, a.reason, a.severity]),
    [['SYS_HIGH', 'above-threshold', 'urgent']],
  );
  const both = alarms.evaluate(
    createObservation({ ...bp(120, 35), device: { ...cuff, id: 'bp-2' } }),
  );
  assert.equal(
    both.map((a) => a.code),
    ['DIA_LOW'],
  );
});

test('a panel in kPa is compared in mm[Hg]; an absent component raises nothing', () => {
  const alarms = new LocalAlarms({
    rules: [
      { name: 'SYS_HIGH', code: 'bp-systolic', above: 180, forSeconds: 0, severity: 'urgent' },
    ],
    log: silent,
  });
  const absent = createObservation({
    patient: 'p-1',
    device: cuff,
    code: 'bp-panel',
    components: [
      { code: 'bp-systolic', dataAbsentReason: 'error' },
      { code: 'bp-diastolic', value: 80 },
    ],
  });

  assert.equal(alarms.evaluate(bp(23, 11, 'kPa')), [], '23 kPa is 172.5 mm[Hg]');
  assert.equal(alarms.evaluate(absent), []);
  assert.is(alarms.evaluate(bp(25, 11, 'kPa')).length, 1, '25 kPa is 187.5 mm[Hg]');
});

test('a systolic reading of its own (an MQTT field) is evaluated too', () => {
  const alarms = new LocalAlarms({
    rules: [
      { name: 'SYS_HIGH', code: 'bp-systolic', above: 180, forSeconds: 0, severity: 'urgent' },
    ],
    log: silent,
  });
  const sys = createObservation({ patient: 'p-1', device, code: 'bp-systolic', value: 200 });

  assert.is(alarms.evaluate(sys).length, 1);
});

test('every accepted unit of every code local alarms evaluate converts to the preferred one', () => {
  for (const code of LOCAL_ALARM_CODES) {
    for (const unit of VITAL_CODES[code].units) {
      assert.type(toPreferredUnit(code, 1, unit), 'number', `${code} in ${unit}`);
    }
  }
  assert.not.ok((LOCAL_ALARM_CODES as string[]).includes('bp-panel'));
  assert.is(toPreferredUnit('body-temp', 102.2, '[degF]'), 39);
  assert.is(toPreferredUnit('glucose', 5, 'mmol/L'), 90.078);
});

test('alarms are stamped with the clock the agent gives (the hub clock)', () => {
  const hubNow = new Date('2026-06-01T12:00:00Z');
  const alarms = new LocalAlarms({
    rules: [{ name: 'SPO2_LOW', code: 'spo2', below: 88, forSeconds: 0, severity: 'urgent' }],
    log: silent,
    now: () => hubNow,
  });
  alarms.update({
    rules: [{ name: 'SPO2_LOW', code: 'spo2', below: 90, forSeconds: 0, severity: 'urgent' }],
  });

  assert.is(alarms.evaluate(spo2(89, 0))[0]?.raisedAt, hubNow.toISOString());
});

test.run();
