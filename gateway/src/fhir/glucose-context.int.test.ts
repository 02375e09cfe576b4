/**
 * A glucose reading's meal context, end to end: real Glucose Measurement (0x2A18) and
 * Context (0x2A34) bytes are decoded and joined by the BLE driver, a real `sparkden-agent`
 * process seals them to the real hub, the hub stores them, and the FHIR API serves the
 * Observation with the context as components. A reading without context still arrives.
 */
import { GlucoseContextJoin, parseGatt, type DriverReading } from '@sparkden/device-drivers';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import { loginAs, startDemoHub, type DemoHub } from '../testing/demo-hub.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const agentBin = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);
const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));

// Composed by hand from the Bluetooth GSS layouts of 0x2A18 and 0x2A34 (the same vectors as
// device-drivers/src/ble/glucose-context-join.test.ts): flags 0x12 (concentration in kg/L,
// type/location, context follows), sequence 7, 2024-03-15 08:30:00, 95 mg/dL (SFLOAT
// 95e-5 kg/L = 0xB05F), capillary whole blood/finger.
const MEASUREMENT_7 = hex('12 07 00 e8 07 03 0f 08 1e 00 5f b0 11');
// flags 0x53 (carbohydrate, meal, medication in kg, HbA1c): sequence 7, breakfast 45 g
// (SFLOAT 45e-3 kg = 0xD02D), preprandial, rapid acting insulin 4 mg (4e-6 kg = 0xA004),
// HbA1c 6.5 % (0xF041).
const CONTEXT_7 = hex('53 07 00 01 2d d0 01 01 04 a0 41 f0');
// No context follows: sequence 8, 09:00, 95 mg/dL.
const MEASUREMENT_8 = hex('02 08 00 e8 07 03 0f 09 00 00 5f b0 11');

let demo: DemoHub;
let dir: string;

function decodeReadings(): DriverReading[] {
  const readings: DriverReading[] = [];
  const join = new GlucoseContextJoin({ emit: (r) => readings.push(r), waitMs: 60_000 });
  join.measurement(parseGatt('2a18', MEASUREMENT_7));
  join.context(parseGatt('2a34', CONTEXT_7));
  join.measurement(parseGatt('2a18', MEASUREMENT_8));

  return readings;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

test.before(async () => {
  demo = await startDemoHub('sd_glucose_context');
  dir = mkdtempSync(join(tmpdir(), 'sd-glucose-context-'));
});

test.after(async () => {
  await demo.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('meal, carbohydrate, medication and HbA1c of a BLE glucose reading reach FHIR', async () => {
  const readings = decodeReadings();
  const ids = readings.map(() => randomUUID());
  const lines = readings.map((r, i) => JSON.stringify({ id: ids[i], ...r }));
  const file = join(dir, 'meter.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const stateDir = join(dir, 'state');
  const { token } = await demo.hub.alerting.fleet.createToken({ createdBy: 'glucose-test' });
  await run(process.execPath, [
    agentBin,
    'enroll',
    '--hub',
    demo.hub.url,
    '--token',
    token,
    '--state-dir',
    stateDir,
  ]);
  const config = join(dir, 'agent.yaml');
  const device = {
    id: 'meter-1',
    driver: 'ndjson-file',
    patient: 'demo-patient-1',
    file: { path: file },
  };
  writeFileSync(config, stringify({ stateDir, devices: [device] }));
  const agent = spawn(process.execPath, [agentBin, 'run', '--config', config], { stdio: 'ignore' });
  try {
    await waitFor('both readings stored', async () => {
      const { rows } = await demo.hub.db.query<{ n: number }>(
        'select count(*)::int as n from vitals.observation where id = any($1::uuid[])',
        [ids],
      );

      return rows[0]?.n === 2 ? true : undefined;
    });
  } finally {
    agent.kill('SIGKILL');
  }
  const bearer = { authorization: `Bearer ${await loginAs(demo.hub, 'clinician')}` };
  const read = async (id: string) =>
    (await (
      await fetch(`${demo.hub.url}/fhir/Observation/vs-${id}`, { headers: bearer })
    ).json()) as Any;

  const withContext = await read(ids[0]);
  const without = await read(ids[1]);

  assert.equal(readings[0].glucoseContext?.meal, 'preprandial');
  assert.is(withContext.valueQuantity.value, 95);
  const parts = Object.fromEntries(
    (withContext.component as Any[]).map((c) => [
      c.code.text,
      c.valueCodeableConcept?.text ?? c.valueQuantity,
    ]),
  );
  assert.equal(parts.Meal, 'preprandial');
  assert.equal(parts['Carbohydrate meal'], 'breakfast');
  assert.equal(parts.Carbohydrate, {
    value: 45,
    unit: 'g',
    system: 'http://unitsofmeasure.org',
    code: 'g',
  });
  assert.equal(parts.Medication, 'rapid acting insulin');
  assert.is(parts['Medication amount'].value, 4);
  assert.is(parts.HbA1c.value, 6.5);
  const meal = (withContext.component as Any[]).find((c) => c.code.text === 'Meal');
  assert.is(meal?.code.coding[0].code, '8417864');
  assert.is(without.valueQuantity.value, 95);
  assert.is(without.component, undefined);
});

test.run();
