import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  BLE_SIMULATORS,
  decodeMqttJson,
  MllpListener,
  openDevice,
  SIMULATED_GATEWAY_MAPPING,
  type DriverReading,
} from '@sparkden/device-drivers';
import { parseObservation, type Observation } from '@sparkden/protocol';
import { connectAsync } from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { waitFor } from '../test-support/agent-fixture.js';
import { runDecode } from './decode.js';

// `sparkden-agent simulate` for each kind of device, read back by the matching decoder:
// BLE lines through `decode --gatt`, the pty through the serial driver, the monitor against
// the MLLP listener, the gateway's JSON through the MQTT mapping. Needs socat and Mosquitto.

const BIN = fileURLToPath(new URL('../../bin/sparkden-agent.js', import.meta.url));

interface Run {
  lines: string[];
  stderr: string[];
  exited: Promise<number | null>;
  kill(): void;
}

function simulate(...argv: string[]): Run {
  const child = spawn(process.execPath, [BIN, 'simulate', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

  return { lines, stderr, exited, kill: () => child.kill('SIGTERM') };
}

/** Runs `decode --gatt <uuid> <hex> --json` on one simulate line. */
function decodeLine(line: string): { code: number; obs: Observation[]; stderr: string } {
  const [uuid, ...hex] = line.split(' ');
  const out: string[] = [];
  const err: string[] = [];
  const code = runDecode(['--gatt', uuid, hex.join(' '), '--json'], {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  const obs = out
    .join('')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseObservation(JSON.parse(l)));

  return { code, obs, stderr: err.join('') };
}

test('every BLE simulator streams characteristic values that decode --gatt accepts', async () => {
  for (const device of BLE_SIMULATORS) {
    const run = simulate(device, '--interval-ms', '10', '--count', '6');
    assert.is(await run.exited, 0, `${device}: ${run.stderr.join('')}`);

    assert.is(run.lines.length, 6, device);
    for (const line of run.lines) {
      assert.match(line, /^2a[0-9a-f]{2}( [0-9a-f]{2})+$/, device);
      const { code, obs, stderr } = decodeLine(line);
      assert.is(code, 0, `${device} ${line}: ${stderr}`);
      // Cuff pressure (0x2A36) and glucose context (0x2A34) carry no reading of their own.
      assert.ok(obs.length > 0 || /^2a3[46] /.test(line), `${device} ${line}`);
    }
  }
});

test('BLE scenarios reach the observation: a loose cuff, a desaturation', async () => {
  const args = ['--interval-ms', '10', '--count', '8'];
  const cuffRun = simulate('ble-blood-pressure', '--scenario', 'cuff-loose', ...args);
  // 200 scenario seconds a second: 2 s a notification, into the fall below 90 % by the 6th.
  const oxiRun = simulate(
    'ble-pulse-oximeter',
    '--scenario',
    'desaturation',
    '--speed',
    '200',
    ...args,
  );
  assert.equal(await Promise.all([cuffRun.exited, oxiRun.exited]), [0, 0]);

  const panels = cuffRun.lines
    .filter((l) => l.startsWith('2a35 '))
    .flatMap((l) => decodeLine(l).obs)
    .filter((o) => o.code === 'bp-panel');
  assert.ok(panels.length > 0);
  assert.ok(panels.every((o) => o.quality.includes('cuff-loose')));
  const spo2 = oxiRun.lines.flatMap((l) => decodeLine(l).obs).filter((o) => o.code === 'spo2');
  assert.ok(spo2.length > 0);
  assert.is(spo2[0].value, 97);
  assert.ok(spo2.some((o) => typeof o.value === 'number' && o.value < 90));
});

test('a serial simulator streams into a pty that the serial driver reads', async () => {
  const run = simulate('nonin-format2', '--scenario', 'normal');
  try {
    const path = await waitFor(() => run.lines[0], 'pty path');
    const source = openDevice({ id: 'ox', driver: 'nonin-format2', path });
    const readings: DriverReading[] = [];
    source.on('reading', (r) => readings.push(r));
    source.on('error', () => undefined);
    await source.start();
    await waitFor(() => readings.some((r) => r.code === 'spo2'), 'spo2 from the pty');
    await source.stop();

    assert.ok(readings.some((r) => r.code === 'spo2' && typeof r.value === 'number'));
  } finally {
    run.kill();
    await run.exited;
  }
});

test('the monitor simulator sends ORU^R01 to an MLLP listener and prints each ACK', async () => {
  const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 0 } });
  const readings: DriverReading[] = [];
  listener.on('reading', (r) => readings.push(r));
  listener.on('error', () => undefined);
  await listener.start();
  try {
    const to = `127.0.0.1:${listener.address().port}`;
    const run = simulate(
      'hl7-monitor',
      '--to',
      to,
      '--scenario',
      'fever',
      '--interval-ms',
      '20',
      '--count',
      '3',
    );
    assert.is(await run.exited, 0, run.stderr.join(''));

    assert.equal(run.lines, [
      'SIM000001 oru ACK AA (expected AA)',
      'SIM000002 oru ACK AA (expected AA)',
      'SIM000003 oru ACK AA (expected AA)',
    ]);
    const temps = readings.filter((r) => r.code === 'body-temp');
    assert.is(temps.length, 3);
    assert.ok(temps.every((r) => r.value === 39.2 && r.unit === 'Cel'));
  } finally {
    await listener.stop();
  }
});

test('the monitor simulator with nothing listening exits 69 with one line', async () => {
  const run = simulate('hl7-monitor', '--to', '127.0.0.1:9', '--count', '1');

  assert.is(await run.exited, 69);
  assert.match(run.stderr.join(''), /^simulate: TRANSPORT: monitor connection failed\n$/);
});

test('the gateway simulator publishes JSON that the MQTT mapping decodes', async () => {
  const topic = `sd/test/simulate/${process.pid}`;
  const client = await connectAsync('mqtt://127.0.0.1:1883');
  const payloads: Buffer[] = [];
  client.on('message', (_t, payload) => payloads.push(payload));
  await client.subscribeAsync(topic, { qos: 1 });
  try {
    const run = simulate(
      'mqtt-gateway',
      '--broker',
      'mqtt://127.0.0.1:1883',
      '--topic',
      topic,
      '--scenario',
      'fever',
      '--interval-ms',
      '20',
      '--count',
      '3',
    );
    assert.is(await run.exited, 0, run.stderr.join(''));
    await waitFor(() => payloads.length >= 3, 'three messages');

    assert.is(run.lines.length, 3);
    assert.ok(run.lines.every((l) => l.startsWith(`${topic} {`)));
    for (const payload of payloads) {
      const readings = decodeMqttJson(topic, payload, SIMULATED_GATEWAY_MAPPING);
      assert.equal(readings.map((r) => r.code).sort(), [
        'body-temp',
        'body-weight',
        'heart-rate',
        'spo2',
      ]);
      assert.is(readings.find((r) => r.code === 'body-temp')?.value, 39.2);
    }
  } finally {
    await client.endAsync();
  }
});

test('a scenario the device does not play, or a missing --to, is a usage error', async () => {
  const scenario = simulate('ble-thermometer', '--scenario', 'desaturation');
  const to = simulate('hl7-monitor');

  assert.is(await scenario.exited, 64);
  assert.match(
    scenario.stderr.join(''),
    /"--scenario" for ble-thermometer is one of normal, fever/,
  );
  assert.is(await to.exited, 64);
});

test.run();
