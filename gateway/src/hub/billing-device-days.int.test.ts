import {
  createScratchDatabase,
  createVitalsMigrations,
  openDatabase,
  runMigrations,
  VitalsStore,
} from '@sparkden/alerting';
import { createObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { sqlDeviceDays } from './billing.js';

const P = 'billing-dd-patient';

const reading = (device: string, at: string, status: 'final' | 'entered-in-error' = 'final') =>
  createObservation({
    patient: P,
    device: { id: device, transport: 'simulated' },
    code: 'body-weight',
    value: 80,
    unit: 'kg',
    effectiveAt: at,
    status,
  });

// Regression: billing counted device days from vitals.observation with its own query, which
// also counted readings entered in error; the vitals store's device days do not.
test('billing device days exclude entered-in-error and agree with VitalsStore.deviceDays', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await runMigrations(db, {
      schema: 'vitals',
      migrations: createVitalsMigrations({ timescale: 'off' }),
    });
    const vitals = await VitalsStore.open(db);
    await vitals.write({
      agentId: 'agent-1',
      observations: [
        reading('scale-a', '2026-03-02T08:00:00Z'),
        reading('scale-a', '2026-03-02T20:00:00Z'),
        reading('scale-a', '2026-03-03T08:00:00Z', 'entered-in-error'),
        reading('scale-b', '2026-03-04T08:00:00Z'),
        reading('scale-b', '2026-03-05T08:00:00Z', 'entered-in-error'),
      ],
    });

    const rows = await sqlDeviceDays(db).deviceDays(P, '2026-03-01', '2026-03-31');
    const [store] = await vitals.deviceDays({
      patients: [P],
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
    });

    assert.equal(
      rows.map((r) => [r.day, r.deviceId, r.readings]),
      [
        ['2026-03-02', 'scale-a', 2],
        ['2026-03-04', 'scale-b', 1],
      ],
    );
    const perDevice = (id: string) => rows.filter((r) => r.deviceId === id).length;
    assert.equal(
      store.devices.map((d) => [d.deviceId, d.days]),
      [
        ['scale-a', perDevice('scale-a')],
        ['scale-b', perDevice('scale-b')],
      ],
    );
    assert.is(store.days, new Set(rows.map((r) => r.day)).size);
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test.run();
