import { randomUUID } from 'node:crypto';

import { connectAsync } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { openDevice } from '../open-device.js';
import { waitFor } from '../test-support.js';
import type { DriverReading } from '../types.js';
import { MqttJsonSource } from './mqtt-json-source.js';
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

test('durable: a QoS 1 message is acknowledged only once taken, so a consumer that died first gets it again', async () => {
  const topic = `sparkden-test/${randomUUID()}/state`;
  const clientId = `sd-test-${randomUUID().slice(0, 12)}`;
  const spec = {
    id: 'gw-3',
    driver: 'mqtt-json' as const,
    mqtt: { url, topic, mapping: [{ path: 'n', code: 'heart-rate' as const }] },
  };
  const life = async (ack: boolean, resume?: string) => {
    const source = new MqttJsonSource(spec);
    const seen: number[] = [];
    let cursor: string | undefined = resume;
    source.setDurable({
      clientId,
      resume,
      take: (readings, taken, at) => {
        seen.push(...readings.map((r) => r.value!));
        cursor = at;
        if (ack) {
          taken();
        }
      },
    });
    await source.start();
    await waitFor(() => source.state === 'connected');

    return { source, seen, cursor: () => cursor };
  };
  const device = await connectAsync(url, { reconnectPeriod: 0 });

  try {
    const never = await life(false);
    await device.publishAsync(topic, JSON.stringify({ n: 1 }), { qos: 1 });
    await waitFor(() => never.seen.length === 1);
    await never.source.stop();

    const acking = await life(true);
    await waitFor(() => acking.seen.includes(1));
    await acking.source.stop();

    await device.publishAsync(topic, JSON.stringify({ n: 2 }), { qos: 1 });
    const after = await life(true, acking.cursor());
    await waitFor(() => after.seen.includes(2));
    await after.source.stop();

    assert.equal(never.seen, [1]);
    assert.equal(acking.seen, [1], 'the unacknowledged message came again');
    assert.equal(after.seen, [2], 'the acknowledged one did not');
  } finally {
    await device.endAsync();
    const forget = await connectAsync(url, { clientId, clean: true, reconnectPeriod: 0 });
    await forget.endAsync();
  }
});

test.run();
