import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createLogger } from '../log.js';
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

test.run();
