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
  const acks: Array<{ code: string; errorCode?: string; skippedDemo: number }> = [];
  let withheld = 0;
  listener.on('reading', (r) => readings.push(r));
  listener.on('error', (e) => errors.push(e.code));
  listener.on('messageAcknowledged', (a) => acks.push(a));
  listener.on('readingsWithheld', (w) => (withheld += w.reason === 'demo-data' ? w.count : 0));
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
  assert.ok(acks.every((a) => (a.code === 'AA') === (a.errorCode === undefined)));
  assert.ok(acks.some((a) => a.code === 'AE' && a.errorCode === 'BAD_VALUE'));
  assert.ok(withheld > 0, 'demo messages are counted as withheld');
  assert.is(
    withheld,
    acks.reduce((n, a) => n + a.skippedDemo, 0),
  );
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

test('with an acceptor, the ACK waits for the commit, and messages are answered in order', async () => {
  const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 0 } });
  const events: string[] = [];
  const subjects = new Set<string | undefined>();
  listener.setAcceptor(async (delivery) => {
    subjects.add(delivery.subject);
    events.push(`start ${delivery.controlId}`);
    // A slow disk: long enough for an ACK sent at once to reach the monitor first.
    await new Promise((r) => setTimeout(r, 60));
    events.push(`committed ${delivery.controlId}`);

    return undefined;
  });
  const emitted: DriverReading[] = [];
  listener.on('reading', (r) => emitted.push(r));
  await listener.start();
  const sim = startHl7Simulator({
    port: listener.address().port,
    scenario: 'normal',
    intervalMs: 10,
    count: 3,
    onAck: (e) => events.push(`ack ${e.controlId}`),
  });
  await sim.done;
  await sim.stop();
  await listener.stop();

  const at = (event: string) => events.indexOf(event);
  for (const id of ['SIM000001', 'SIM000002', 'SIM000003']) {
    assert.ok(at(`committed ${id}`) >= 0 && at(`ack ${id}`) > at(`committed ${id}`), id);
  }
  assert.ok(at('start SIM000002') > at('committed SIM000001'), 'one message at a time');
  assert.ok(at('start SIM000003') > at('committed SIM000002'), 'one message at a time');
  assert.ok(sim.exchanges.every((e) => e.ack?.code === 'AA'));
  assert.equal([...subjects], ['SIM-BED-4']);
  assert.is(emitted.length, 0, 'readings go to the acceptor, not to reading events');
});

test('an acceptor that refuses gets its AE and reason; one that fails gets AE 207', async () => {
  const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 0 } });
  let n = 0;
  listener.setAcceptor((delivery) => {
    n++;
    if (n === 1) {
      return { code: 'AE', reason: 'PID-3 not mapped to a patient', hl7Error: '204' };
    }
    if (n === 2) {
      throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    }

    return delivery.readings.length > 0 ? undefined : { code: 'AR', reason: 'empty' };
  });
  const acks: string[] = [];
  listener.on('messageAcknowledged', (a) =>
    acks.push(`${a.controlId} ${a.code} ${a.errorCode ?? '-'}`),
  );
  await listener.start();
  const sim = startHl7Simulator({
    port: listener.address().port,
    scenario: 'normal',
    intervalMs: 10,
    count: 3,
  });
  await sim.done;
  await sim.stop();
  await listener.stop();

  const [refused, failed, accepted] = sim.exchanges;
  assert.equal(refused.ack, {
    code: 'AE',
    controlId: 'SIM000001',
    text: 'PID-3 not mapped to a patient',
  });
  assert.equal(failed.ack, {
    code: 'AE',
    controlId: 'SIM000002',
    text: 'readings could not be stored',
  });
  assert.equal(accepted.ack, { code: 'AA', controlId: 'SIM000003' });
  // The acceptor's failure is not swallowed: its code travels with the AE.
  assert.equal(acks, ['SIM000001 AE -', 'SIM000002 AE ENOSPC', 'SIM000003 AA -']);
});

test.run();
