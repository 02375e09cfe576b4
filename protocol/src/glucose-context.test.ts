import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ObservationError } from './errors.js';
import { parseMessage } from './messages.js';
import { createObservation, parseObservation } from './observation.js';

const device = { id: 'meter-1', model: 'Contour', transport: 'ble' as const };
const context = {
  meal: 'preprandial' as const,
  carbohydrate: { meal: 'breakfast' as const, grams: 45 },
  tester: 'self' as const,
  health: 'no health issues' as const,
  exercise: { durationS: 1800, intensityPercent: 40 },
  medication: { kind: 'rapid acting insulin' as const, mg: 4 },
  hba1cPercent: 6.5,
};
const glucose = createObservation({ patient: 'p-1', device, code: 'glucose', value: 95, context });

function messageOf(input: unknown): string {
  try {
    parseObservation(input);
  } catch (e) {
    assert.instance(e, ObservationError);

    return (e as ObservationError).message;
  }
  throw new Error('expected a rejection');
}

test('a glucose reading carries its context through createObservation and a batch', () => {
  const batch = { agentId: 'a-1', seq: 1, sentAt: new Date().toISOString() };

  const parsed = parseMessage('obs', { ...batch, observations: [glucose] });

  assert.equal(glucose.context, context);
  assert.equal(parsed.observations[0]?.context, context);
});

test('a reading without context still parses (an older agent)', () => {
  const { context: _context, ...old } = glucose;

  const parsed = parseObservation(old);

  assert.is(parsed.context, undefined);
  assert.is(parsed.value, 95);
});

test('an empty context is left out', () => {
  const obs = createObservation({
    patient: 'p-1',
    device,
    code: 'glucose',
    value: 95,
    context: {},
  });

  assert.is(obs.context, undefined);
});

test('a bad context value is rejected naming the field', () => {
  const badMeal = { ...glucose, context: { meal: 'lunchtime' } };
  const badGrams = { ...glucose, context: { carbohydrate: { grams: -1 } } };
  const badIntensity = {
    ...glucose,
    context: { exercise: { durationS: 60, intensityPercent: 140 } },
  };

  assert.match(messageOf(badMeal), /^context\.meal: /);
  assert.match(messageOf(badGrams), /^context\.carbohydrate\.grams: /);
  assert.match(messageOf(badIntensity), /^context\.exercise\.intensityPercent: /);
});

test('a context on a reading that is not glucose is rejected', () => {
  const spo2 = createObservation({ patient: 'p-1', device, code: 'spo2', value: 97 });

  assert.match(
    messageOf({ ...spo2, context: { meal: 'fasting' } }),
    /context: not allowed for "spo2"/,
  );
});

test('an unknown context key from a newer agent is dropped, not refused', () => {
  const parsed = parseObservation({ ...glucose, context: { meal: 'fasting', mood: 'fine' } });

  assert.equal(parsed.context, { meal: 'fasting' });
});

test.run();
