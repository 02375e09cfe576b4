import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { openDevice } from '../open-device.js';
import { startSerialSimulator } from '../sim/serial-simulator.js';
import { waitFor } from '../test-support.js';
import type { DeviceState, DriverReading, SerialDriverName } from '../types.js';

// Real pseudo-terminals made by socat: the simulator writes device bytes into one end and
// the source reads the other through `serialport`, with each driver's own line settings.

async function collect(
  driver: SerialDriverName,
  scenario: 'normal' | 'desaturation' | 'finger-out' | 'flaky-link',
  until: (r: DriverReading[]) => boolean,
  speed = 1,
) {
  const sim = await startSerialSimulator({ driver, scenario, speed });
  const source = openDevice({ id: 'ox-1', driver, path: sim.path, minIntervalMs: 0 });
  const readings: DriverReading[] = [];
  const states: DeviceState[] = [];
  const errors: string[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('state', (s) => states.push(s));
  source.on('error', (e) => errors.push(e.code));
  try {
    await source.start();
    await waitFor(() => until(readings), 20_000);
  } finally {
    await source.stop();
    await sim.stop();
  }

  return { readings, states, errors };
}

const spo2Values = (rs: DriverReading[]) =>
  rs.filter((r) => r.code === 'spo2' && r.value !== undefined).map((r) => r.value!);

for (const driver of ['contec-cms50d', 'contec-cms50d-v46', 'nonin-format2'] as const) {
  test(`${driver}: readings arrive over a real pty`, async () => {
    const { readings, states } = await collect(
      driver,
      'normal',
      (rs) => spo2Values(rs).length >= 3,
    );
    const pulse = readings.find((r) => r.code === 'heart-rate' && r.value !== undefined)!;

    assert.ok(spo2Values(readings).every((v) => v >= 95 && v <= 99));
    assert.ok(pulse.value! >= 65 && pulse.value! <= 80);
    assert.equal(states.slice(0, 2), ['connecting', 'connected']);
    assert.is(states.at(-1), 'disconnected');
  });
}

test('contec-cms50d: desaturation falls below 90 % and recovers', async () => {
  let sawLow = false;
  const { readings } = await collect(
    'contec-cms50d',
    'desaturation',
    (rs) => {
      const values = spo2Values(rs);
      sawLow ||= values.some((v) => v < 90);
      return sawLow && (values.at(-1) ?? 0) >= 95;
    },
    10,
  );

  assert.ok(Math.min(...spo2Values(readings)) <= 86);
});

test('contec-cms50d: finger out gives flagged data-absent readings, never a number', async () => {
  const { readings } = await collect(
    'contec-cms50d',
    'finger-out',
    (rs) => rs.some((r) => r.quality?.includes('finger-out')),
    10,
  );
  const out = readings.filter((r) => r.quality?.includes('finger-out'));

  assert.ok(out.every((r) => r.value === undefined && r.dataAbsentReason === 'temp-unknown'));
});

test('flaky link: garbage becomes SYNC errors and readings keep coming', async () => {
  const { errors } = await collect(
    'contec-cms50d',
    'flaky-link',
    (rs) => spo2Values(rs).length >= 200,
  );

  assert.ok(errors.includes('SYNC'));
});

test('a missing port is a TRANSPORT error and the source retries until stopped', async () => {
  const source = openDevice({
    id: 'x',
    driver: 'contec-cms50d',
    path: '/dev/does-not-exist',
    reconnect: { minMs: 10, maxMs: 20 },
  });
  const errors: string[] = [];
  source.on('error', (e) => errors.push(e.code));

  await source.start();
  await waitFor(() => errors.length >= 2);
  await source.stop();

  assert.is(errors[0], 'TRANSPORT');
  assert.is(source.state, 'disconnected');
});

test.run();
