import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { CodingResult, MinutesEntry } from '../billing/index.js';
import { startTestGateway, type TestGateway } from '../testing/harness.js';
import { CALL_PERIOD_EXTENSION } from './billing-communications.js';
import { mountBilling } from './billing.js';

// Treatment-management minutes from a video visit, a call and secure messages, all written
// through the real gateway (the FHIR API for Communications, the billing API for the visit)
// into PostgreSQL, and coded by the real billing routes.

const P = 'demo-patient-1';
const DR = 'Practitioner/dr-demo';
let t: TestGateway;
let tokens: Record<'billing' | 'clinician' | 'patient', string>;

async function call(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
  });
}

async function communicate(token: string, resource: Record<string, unknown>): Promise<string> {
  const body = {
    resourceType: 'Communication',
    status: 'completed',
    subject: { reference: `Patient/${P}` },
    ...resource,
  };
  const res = await call('/fhir/Communication', token, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  assert.is(res.status, 201, await res.clone().text());

  return ((await res.json()) as { id: string }).id;
}

/** A clinician's call to the patient, with its start and (when given) end. */
const phoneCall = (start: string, end?: string) =>
  communicate(tokens.clinician, {
    medium: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'PHONE' },
        ],
      },
    ],
    extension: [
      { url: CALL_PERIOD_EXTENSION, valuePeriod: end === undefined ? { start } : { start, end } },
    ],
    sent: start,
    sender: { reference: DR },
    recipient: [{ reference: `Patient/${P}` }],
  });

const fromClinician = (sent: string) =>
  communicate(tokens.clinician, {
    sent,
    sender: { reference: DR },
    recipient: [{ reference: `Patient/${P}` }],
    payload: [{ contentString: 'How is your blood pressure today?' }],
  });

const fromPatient = (sent: string) =>
  communicate(tokens.patient, {
    sent,
    sender: { reference: `Patient/${P}` },
    recipient: [{ reference: DR }],
    payload: [{ contentString: 'Better, thank you.' }],
  });

/** An 8-minute video visit: too short for an E/M code, so its time is RPM time. */
async function videoVisit(visitId: string, startedAt: string): Promise<void> {
  const endedAt = new Date(Date.parse(startedAt) + 8 * 60_000).toISOString();
  const res = await call('/api/billing/visits', tokens.billing, {
    method: 'POST',
    body: JSON.stringify({
      visitId,
      patientId: P,
      clinicianId: 'dr-demo',
      startedAt,
      endedAt,
      durationMinutes: 8,
      video: true,
      patientLocation: 'home',
      newPatient: false,
    }),
  });
  assert.is(res.status, 201);
}

async function suggestions(month: string): Promise<CodingResult> {
  // the demo practice's Medicare-like contract; the patient has no Coverage to infer it from
  const res = await call(
    `/api/billing/patients/${P}/suggestions?month=${month}&payerId=12345`,
    tokens.billing,
  );
  assert.is(res.status, 200);

  return (await res.json()) as CodingResult;
}

async function ledger(month: string): Promise<MinutesEntry[]> {
  const res = await call(`/api/billing/patients/${P}/minutes?month=${month}`, tokens.billing);
  assert.is(res.status, 200);

  return (await res.json()) as MinutesEntry[];
}

const tm = (r: CodingResult) =>
  r.suggestions
    .filter((s) => ['99457', '99458', '99470'].includes(s.code))
    .map((s) => (s.units > 1 ? `${s.code}x${s.units}` : s.code));
const total = (entries: MinutesEntry[]) => entries.reduce((sum, e) => sum + e.minutes, 0);

test.before(async () => {
  t = await startTestGateway({ withVitals: true });
  await mountBilling({
    gateway: t.gateway,
    db: t.db,
    patients: { getBillingPatient: () => Promise.resolve(undefined) },
    logger: pino({ level: 'silent' }),
  });
  tokens = {
    billing: (await t.login('billing')).access_token,
    clinician: (await t.login('clinician')).access_token,
    patient: (await t.login('patient')).access_token,
  };
});

test.after(async () => {
  await t.close();
});

test('19 min (visit 8 + call 6 + exchange 5) is 99470; a one-way message adds nothing', async () => {
  await videoVisit('visit-mar', '2026-03-02T15:00:00Z');
  const callId = await phoneCall('2026-03-05T10:00:00Z', '2026-03-05T10:06:00Z');
  const ask = await fromClinician('2026-03-09T09:00:00Z');
  const reply = await fromPatient('2026-03-09T09:03:00Z');
  const oneWay = await fromClinician('2026-03-20T09:00:00Z');

  const entries = await ledger('2026-03');
  assert.equal(
    entries.map((e) => [e.id, e.minutes, e.kind]),
    [
      [`comm-call:${callId}`, 6, 'audio'],
      [`comm-exchange:${ask}`, 5, 'message'],
    ],
  );
  assert.match(entries[1].interactionEvidence!, new RegExp(`Communication/${reply} \\(patient`));
  assert.not.ok(JSON.stringify(entries).includes(oneWay), 'a one-way message is not in the ledger');

  const result = await suggestions('2026-03');
  assert.equal(tm(result), ['99470']);
  const code = result.suggestions.find((s) => s.code === '99470')!;
  assert.is(code.minutes, 19);
  assert.is(code.rule, 'RPM-TM-10');
  for (const cited of [`visit:visit-mar`, `Communication/${callId}`, `Communication/${ask}`]) {
    assert.ok(code.explanation.includes(cited), `the explanation cites ${cited}`);
  }
  assert.not.ok(code.explanation.includes(oneWay));
});

test('reading again never counts a Communication twice', async () => {
  const before = await ledger('2026-03');
  await suggestions('2026-03');
  await suggestions('2026-03');
  const after = await ledger('2026-03');
  assert.equal(after, before);
  assert.is(total(after), 11);
  const { rows } = await t.db.query<{ n: number }>(
    `select count(*)::int as n from billing.minutes where patient_id = $1 and day between '2026-03-01' and '2026-03-31'`,
    [P],
  );
  assert.is(rows[0].n, 2);
  assert.equal(tm(await suggestions('2026-03')), ['99470']);
});

test('20 min (visit 8 + call 7 + exchange 5) is 99457 alone, never with 99470', async () => {
  await videoVisit('visit-apr', '2026-04-02T15:00:00Z');
  await phoneCall('2026-04-06T10:00:00Z', '2026-04-06T10:07:00Z');
  await fromClinician('2026-04-08T09:00:00Z');
  await fromPatient('2026-04-08T09:04:00Z');

  const result = await suggestions('2026-04');
  assert.equal(tm(result), ['99457']);
  assert.match(result.suggestions.find((s) => s.code === '99457')!.explanation, /of 20 min/);
});

test('40 min (visit 8 + call 27 + exchange 5) is 99457 and one 99458', async () => {
  await videoVisit('visit-may', '2026-05-04T15:00:00Z');
  await phoneCall('2026-05-06T10:00:00Z', '2026-05-06T10:27:00Z');
  await fromPatient('2026-05-11T09:00:00Z');
  await fromClinician('2026-05-11T09:02:00Z');

  assert.equal(tm(await suggestions('2026-05')), ['99457', '99458']);
});

test('10 min (call 5 + exchange 5) is 99470; with a one-way message instead, nothing', async () => {
  await phoneCall('2026-06-03T10:00:00Z', '2026-06-03T10:05:00Z');
  await fromClinician('2026-06-10T09:00:00Z');
  await fromPatient('2026-06-10T09:01:00Z');
  assert.equal(tm(await suggestions('2026-06')), ['99470']);

  await phoneCall('2026-07-03T10:00:00Z', '2026-07-03T10:05:00Z');
  await phoneCall('2026-07-04T10:00:00Z');
  await fromClinician('2026-07-10T09:00:00Z');
  await fromPatient('2026-07-10T09:30:00Z');
  const july = await suggestions('2026-07');
  assert.equal(tm(july), []);
  assert.ok(
    july.notes.some((n) => /5 min in 2026-07, fewer than the 10/.test(n)),
    july.notes.join(),
  );
  assert.is(total(await ledger('2026-07')), 5, 'no end, no minutes; a reply 30 min later, none');
});

test('a reply that comes later joins the exchange; one entered in error leaves it', async () => {
  const ask = await fromClinician('2026-08-03T09:00:00Z');
  assert.equal(await ledger('2026-08'), [], 'no reply yet: one-way, nothing');

  const reply = await fromPatient('2026-08-03T09:02:00Z');
  const joined = await ledger('2026-08');
  assert.equal(
    joined.map((e) => [e.id, e.minutes]),
    [[`comm-exchange:${ask}`, 5]],
  );

  const current = await call(`/fhir/Communication/${reply}`, tokens.clinician);
  const withdrawn = { ...((await current.json()) as object), status: 'entered-in-error' };
  const put = await call(`/fhir/Communication/${reply}`, tokens.clinician, {
    method: 'PUT',
    body: JSON.stringify(withdrawn),
  });
  assert.is(put.status, 200, await put.clone().text());
  assert.equal(await ledger('2026-08'), []);
});

test('ledger ids of communications cannot be posted by hand', async () => {
  const res = await call(`/api/billing/patients/${P}/minutes`, tokens.billing, {
    method: 'POST',
    body: JSON.stringify({
      id: 'comm-call:forged',
      clinicianId: 'dr-demo',
      occurredAt: '2026-08-01T10:00:00Z',
      day: '2026-08-01',
      minutes: 30,
      kind: 'audio',
    }),
  });
  assert.is(res.status, 400);
});

test.run();
