import { randomUUID } from 'node:crypto';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { openDevice } from '../open-device.js';
import { waitFor } from '../test-support.js';
import type { DriverReading } from '../types.js';
import { SIMULATED_GATEWAY_MAPPING, startMqttSimulator } from './mqtt-simulator.js';

// Against the real Mosquitto on 127.0.0.1:1883, a unique topic per run.
const url = process.env.SD_TEST_MQTT ?? 'mqtt://127.0.0.1:1883';

test('the gateway simulator through the broker becomes readings; a broken payload is an error event', async () => {
  const topic = `sparkden-test/${randomUUID()}/state`;
  const source = openDevice({
    id: 'gw-1',
    driver: 'mqtt-json',
    mqtt: { url, topic, mapping: SIMULATED_GATEWAY_MAPPING },
  });
  const readings: DriverReading[] = [];
  const errors: string[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('error', (e) => errors.push(e.code));
  await source.start();
  await waitFor(() => source.state === 'connected');
  const sim = await startMqttSimulator({ url, topic, scenario: 'flaky-link', intervalMs: 20 });

  try {
    await waitFor(() => readings.length >= 16 && errors.includes('MALFORMED'));
  } finally {
    await sim.stop();
    await source.stop();
  }

  const weight = readings.find((r) => r.code === 'body-weight')!;
  assert.is(weight.value, 78.4);
  assert.is(weight.unit, 'kg');
  assert.is(readings.find((r) => r.code === 'spo2')!.unit, '%');
  assert.is(source.state, 'disconnected');
});

test('finger out arrives as "nan" and becomes a data-absent SpO2', async () => {
  const topic = `sparkden-test/${randomUUID()}/state`;
  const source = openDevice({
    id: 'gw-2',
    driver: 'mqtt-json',
    mqtt: { url, topic, mapping: SIMULATED_GATEWAY_MAPPING },
  });
  const readings: DriverReading[] = [];
  source.on('reading', (r) => readings.push(r));
  await source.start();
  await waitFor(() => source.state === 'connected');
  const sim = await startMqttSimulator({
    url,
    topic,
    scenario: 'finger-out',
    intervalMs: 20,
    speed: 100,
  });

  try {
    await waitFor(() =>
      readings.some((r) => r.code === 'spo2' && r.dataAbsentReason === 'not-a-number'),
    );
  } finally {
    await sim.stop();
    await source.stop();
  }

  const spo2 = readings.filter((r) => r.code === 'spo2' && r.value !== undefined);
  assert.ok(spo2.length > 0 && spo2.every((r) => r.value! >= 96 && r.value! <= 98));
});

test.run();
