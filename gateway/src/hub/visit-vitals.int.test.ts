/**
 * The live-vitals panel's real source on real PostgreSQL: the vitals store and the alerting
 * engine, with the trend of each code in the snapshot and on each newer reading.
 */
import { AlertEngine, type VitalsStore } from '@sparkden/alerting';
import { createObservation, type VitalCode } from '@sparkden/protocol';
import type { VitalsReader, VitalsReading, VitalsSink, VitalsSnapshot } from '@sparkden/sfu';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { AuditInput } from '../audit/trail.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { alertingVitalsSource } from './visit-vitals.js';

let t: TestGateway;
let store: VitalsStore;
let engine: AlertEngine;
const device = { id: 'dev-1', model: 'test', transport: 'ble' as const };
const now = Date.now();
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();
const READER: VitalsReader = {
  userId: 'clin-1',
  role: 'host',
  appointmentId: 'apt-1',
  tokenId: 'jti-1',
};

async function write(patient: string, code: VitalCode, values: [number, number][]) {
  await store.write({
    agentId: 'agent-1',
    observations: values.map(([ago, value]) =>
      createObservation({ patient, device, code, value, effectiveAt: minutesAgo(ago) }),
    ),
  });
}

function collect() {
  const got = {
    snapshot: undefined as VitalsSnapshot | undefined,
    readings: [] as VitalsReading[],
  };
  const sink: VitalsSink = {
    snapshot: (s) => (got.snapshot = s),
    reading: (r) => void got.readings.push(r),
    alert: () => undefined,
    alertCleared: () => undefined,
  };

  return { got, sink };
}

const byLoinc = (readings: VitalsReading[] | undefined, loinc: string) =>
  readings?.find((r) => r.code === loinc);

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  store = t.vitals!;
  engine = await AlertEngine.open({ db: t.db });
});

test.after(async () => {
  await engine.close();
  await t.close();
});

test('the snapshot carries each code with its trend over the last hour', async () => {
  await write('p-trend', 'heart-rate', [
    [40, 70],
    [30, 72],
    [20, 71],
    [1, 90],
  ]);
  await write('p-trend', 'spo2', [
    [30, 97],
    [20, 97],
    [1, 96],
  ]);
  await write('p-trend', 'resp-rate', [
    [30, 18],
    [1, 12],
  ]);
  await write('p-trend', 'body-temp', [[1, 37.1]]);
  const { got, sink } = collect();

  const stop = await alertingVitalsSource(store, engine).subscribe('Patient/p-trend', sink, READER);
  stop();

  const readings = got.snapshot?.readings;
  assert.is(got.snapshot?.patientRef, 'Patient/p-trend');
  assert.is(byLoinc(readings, '8867-4')?.value, 90);
  assert.is(byLoinc(readings, '8867-4')?.trend, 'rising');
  assert.is(byLoinc(readings, '2708-6')?.trend, 'steady');
  assert.is(byLoinc(readings, '9279-1')?.trend, 'falling');
  assert.ok(byLoinc(readings, '8310-5'), 'the single temperature reading is shown');
  assert.is(byLoinc(readings, '8310-5')?.trend, undefined);
});

test('readings older than an hour give no trend', async () => {
  await write('p-old', 'heart-rate', [
    [120, 60],
    [90, 62],
    [1, 85],
  ]);
  const { got, sink } = collect();

  const stop = await alertingVitalsSource(store, engine).subscribe('Patient/p-old', sink, READER);
  stop();

  assert.is(byLoinc(got.snapshot?.readings, '8867-4')?.trend, undefined);
});

test('a newer reading is pushed with its trend against the hour before it', async () => {
  await write('p-live', 'heart-rate', [
    [30, 80],
    [20, 82],
    [10, 81],
  ]);
  const { got, sink } = collect();
  const stop = await alertingVitalsSource(store, engine, { pollMs: 50 }).subscribe(
    'Patient/p-live',
    sink,
    READER,
  );

  await write('p-live', 'heart-rate', [[0, 64]]);
  for (let i = 0; i < 100 && got.readings.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  stop();

  assert.equal(
    got.readings.map((r) => [r.code, r.value, r.trend]),
    [['8867-4', 64, 'falling']],
  );
  assert.is(byLoinc(got.snapshot?.readings, '8867-4')?.trend, 'steady');
});

test('opening the feed audits the read: who, which patient, for treatment in the visit', async () => {
  const records: AuditInput[] = [];
  const { sink } = collect();
  const source = alertingVitalsSource(store, engine, {
    audit: (record) => Promise.resolve(void records.push(record)),
  });

  const stop = await source.subscribe('Patient/p-trend', sink, READER);
  stop();

  assert.equal(records, [
    {
      action: 'visit.vitals.read',
      actor: { sub: 'clin-1', role: 'host' },
      resource: 'Patient/p-trend',
      patientId: 'p-trend',
      outcome: 'success',
      purpose: 'TREAT',
      detail: { context: 'visit', appointment: 'apt-1', tokenId: 'jti-1' },
    },
  ]);
});

test('a read whose audit record cannot be written is refused', async () => {
  const { got, sink } = collect();
  const source = alertingVitalsSource(store, engine, {
    audit: () => Promise.reject(new Error('audit trail down')),
  });

  await Promise.resolve(source.subscribe('Patient/p-trend', sink, READER)).then(
    () => assert.unreachable('the read must be refused'),
    (e: Error) => assert.is(e.message, 'audit trail down'),
  );
  assert.is(got.snapshot, undefined, 'no vitals left the store');
});

test('open alerts in the snapshot come from the real alerting engine', async () => {
  // [spo2-low: SpO2 below 90 % for 10 s raises a high alert]
  await engine.handleObservations(
    [20, 10, 0].map((secondsAgo) =>
      createObservation({
        patient: 'p-alert',
        device,
        code: 'spo2',
        value: 84,
        effectiveAt: new Date(Date.now() - secondsAgo * 1000).toISOString(),
      }),
    ),
  );
  const { got, sink } = collect();

  const stop = await alertingVitalsSource(store, engine).subscribe('Patient/p-alert', sink, READER);
  stop();

  const engineOpen = engine.openByPatient().find((p) => p.patientId === 'p-alert')?.alerts ?? [];
  assert.ok(engineOpen.length > 0, 'the engine raised an alert');
  assert.equal(got.snapshot?.alerts.map((a) => a.id).sort(), engineOpen.map((a) => a.id).sort());
  assert.ok(got.snapshot?.alerts.some((a) => a.title === 'Low SpO2' && a.severity === 'high'));
});

test.run();
