import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { waitFor } from '../test-support.js';
import type { DriverReading } from '../types.js';
import { startHl7Simulator } from './hl7-simulator.js';
import { MllpListener } from './mllp-listener.js';

// The bedside-monitor simulator against the real listener, over real TCP on loopback.

test('every message gets the right ACK with its control id; only patient data becomes readings', async () => {
  const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 0 } });
  const readings: DriverReading[] = [];
  const errors: string[] = [];
  listener.on('reading', (r) => readings.push(r));
  listener.on('error', (e) => errors.push(e.code));
  await listener.start();
  const sim = startHl7Simulator({
    port: listener.address().port,
    scenario: 'flaky-link',
    intervalMs: 20,
    count: 12,
  });

  try {
    await sim.done;
  } finally {
    await sim.stop();
    await listener.stop();
  }

  assert.is(sim.exchanges.length, 12);
  for (const e of sim.exchanges) {
    assert.is(e.ack?.controlId, e.controlId);
    assert.is(e.ack?.code, e.expected, `${e.kind} ${e.controlId}`);
  }
  const good = sim.exchanges.filter((e) => e.kind === 'oru').length;
  assert.is(readings.filter((r) => r.code === 'spo2').length, good);
  assert.ok(readings.every((r) => r.subject === 'SIM-BED-4'));
  assert.ok(errors.includes('SYNC'));
  assert.ok(errors.includes('BAD_VALUE'));
  assert.is(listener.state, 'disconnected');
});

test('a normal monitor: readings with the scenario values', async () => {
  const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 0 } });
  const readings: DriverReading[] = [];
  listener.on('reading', (r) => readings.push(r));
  await listener.start();
  const sim = startHl7Simulator({
    port: listener.address().port,
    scenario: 'fever',
    intervalMs: 20,
    count: 2,
  });
  await sim.done;
  await sim.stop();
  await waitFor(() => readings.length >= 10);
  await listener.stop();

  const temp = readings.find((r) => r.code === 'body-temp')!;
  assert.is(temp.value, 39.2);
  assert.is(temp.unit, 'Cel');
  assert.ok(sim.exchanges.every((e) => e.ack?.code === 'AA'));
});

test.run();
