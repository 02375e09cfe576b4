import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { parseGatt } from '../gatt/decode-gatt.js';
import { waitFor } from '../test-support.js';
import { BLE_SIMULATORS, startBleSimulator } from './ble-simulator.js';
import { SIMULATORS } from './simulators.js';

const device = { id: 'd', transport: 'simulated' as const };

test('every BLE simulator is listed for the simulate CLI', () => {
  const listed = SIMULATORS.filter((s) => s.kind === 'ble').map((s) => s.name);

  assert.equal(listed.sort(), [...BLE_SIMULATORS].sort());
});

test('the spot-check oximeter sends PLX Spot-check (0x2A5E): values, then no value with the finger out', async () => {
  // 200 scenario seconds a second: the finger-out cycle (out from 10 s to 20 s of 30) comes by.
  const sim = startBleSimulator({
    device: 'ble-spot-check-oximeter',
    scenario: 'finger-out',
    intervalMs: 5,
    speed: 200,
  });
  const values: Array<{ uuid: string; bytes: Uint8Array }> = [];
  sim.on('value', (v) => values.push(v));
  await waitFor(() => values.length >= 40);
  await sim.stop();

  const decoded = values.map(({ uuid, bytes }) => parseGatt(uuid, bytes));
  const spo2 = decoded.flatMap((d) => d.readings).filter((r) => r.code === 'spo2');
  assert.ok(values.every((v) => v.uuid === '2a5e'));
  assert.ok(decoded.every((d) => d.characteristic === 'PLX Spot-check Measurement'));
  assert.ok(spo2.some((r) => r.value === 97 || r.value === 96 || r.value === 98));
  assert.ok(spo2.some((r) => r.dataAbsentReason !== undefined && r.value === undefined));
  assert.ok(spo2.every((r) => r.deviceTime instanceof Date));
  decoded
    .flatMap((d) => d.readings)
    .forEach((r) => createObservation({ ...r, patient: 'p', device }));
});

test('the glucose meter follows each record that flags a context with its 0x2A34', async () => {
  const sim = startBleSimulator({ device: 'ble-glucose-meter', scenario: 'normal', intervalMs: 5 });
  const values: Array<{ uuid: string; bytes: Uint8Array }> = [];
  sim.on('value', (v) => values.push(v));
  await waitFor(() => values.filter((v) => v.uuid === '2a18').length >= 4);
  await sim.stop();

  const decoded = values.map(({ uuid, bytes }) => ({ uuid, ...parseGatt(uuid, bytes) }));
  decoded.forEach((d, i) => {
    if (d.uuid !== '2a18') {
      return;
    }
    const next = decoded[i + 1];
    if (d.fields.contextFollows === true && next !== undefined) {
      assert.is(next.uuid, '2a34');
      assert.is(next.fields.sequenceNumber, d.fields.sequenceNumber);
    }
    if (d.fields.contextFollows !== true) {
      assert.is.not(next?.uuid, '2a34');
    }
  });
  const flagged = decoded.filter((d) => d.uuid === '2a18' && d.fields.contextFollows === true);
  assert.ok(flagged.length >= 1);
  assert.ok(decoded.filter((d) => d.uuid === '2a34').every((d) => d.fields.tester === 'self'));
});

test.run();
