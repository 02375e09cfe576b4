import { createObservation } from '@sparkden/protocol';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { BillingPatient, CodingResult } from '../billing/index.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { mountBilling } from './billing.js';

// The running hub with SPARKDEN_BILLING_TIME_ZONE=America/New_York: an evening reading or
// visit in New York is already the next day in UTC, and must count on its New York day.

const P = 'tz-patient';
let t: TestGateway;
let token = '';

const patient: BillingPatient = {
  patientId: P,
  person: {
    lastName: 'Doe',
    firstName: 'Jane',
    birthDate: '1948-02-17',
    sex: 'F',
    address: { line1: '12 Elm Road', city: 'Springfield', state: 'IL', postalCode: '62702' },
  },
  coverages: [{ payerId: '12345', memberId: '1EG4TE5MK73' }],
  diagnoses: ['I10'],
};

// 21:30 in New York (EDT, UTC-4) on each of 2026-03-15 … 2026-03-30: 01:30 UTC the next day.
const eveningReadings = Array.from({ length: 16 }, (_, i) =>
  createObservation({
    patient: P,
    device: { id: 'cuff-ny', transport: 'simulated' },
    code: 'heart-rate',
    value: 70,
    unit: '/min',
    effectiveAt: `2026-03-${String(16 + i).padStart(2, '0')}T01:30:00Z`,
  }),
);

async function api(path: string, body?: unknown): Promise<Response> {
  return fetch(`${t.url}/api/billing${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  await mountBilling({
    gateway: t.gateway,
    db: t.db,
    patients: { getBillingPatient: (id) => Promise.resolve(id === P ? patient : undefined) },
    timeZone: 'America/New_York',
    logger: pino({ level: 'silent' }),
  });
  await t.vitals!.write({ agentId: 'agent-tz', observations: eveningReadings });
  token = (await t.login('billing')).access_token;
});

test.after(async () => {
  await t.close();
});

test('evening readings and an evening visit in New York count on their New York days', async () => {
  assert.is(
    (await api(`/patients/${P}/episodes`, { id: 'ep-tz', start: '2026-03-01' })).status,
    201,
  );
  const visit = await api('/visits', {
    visitId: 'v-tz',
    patientId: P,
    clinicianId: 'dr-1',
    startedAt: '2026-04-01T01:30:00Z',
    endedAt: '2026-04-01T02:00:00Z',
    durationMinutes: 25,
    video: true,
    patientLocation: 'home',
    newPatient: false,
  });
  assert.is(visit.status, 201);

  const res = await api(`/patients/${P}/suggestions?month=2026-03`);
  assert.is(res.status, 200);
  const { suggestions } = (await res.json()) as CodingResult;

  // In UTC the last reading falls on 2026-03-31, outside the period: 15 days, 99445.
  const supply = suggestions.find((s) => s.code === '99454');
  assert.ok(supply, JSON.stringify(suggestions.map((s) => s.code)));
  assert.equal([supply.days?.[0], supply.days?.length], ['2026-03-15', 16]);
  assert.is(suggestions.find((s) => s.code === '99213')?.dateOfService, '2026-03-31');
});

test.run();
