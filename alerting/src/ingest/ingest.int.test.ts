/**
 * gh-issues/5 (gap: an alert silently lost): the ack used to go out after the commit but
 * before the rule engine ran, so an engine failure left a stored, acked batch whose resend
 * was a duplicate that never fired. Against the real PostgreSQL at 127.0.0.1:5432, the
 * engine's alert commit is made to fail by a trigger on `alerting.alerts`.
 */
import { createObservation, sealJson, type Observation } from '@sparkden/protocol';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent, type TestAgent } from '../fleet/index.js';
import { createAlertingService, type AlertingService } from '../service.js';

const scratch = await createScratchDatabase();
const dataDir = await mkdtemp(join(tmpdir(), 'sd-ingest-'));
const logger = pino({ enabled: false });
const admin = new pg.Client({ connectionString: scratch.url });
await admin.connect();

function start(): Promise<AlertingService> {
  return createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    logger,
  });
}

let service = await start();
const agent: TestAgent = await enrollTestAgent(service.fleet);
let seq = 0;

// SpO2 below 90 % for more than the rule's 10 s: `spo2-low` fires on the third reading.
function lowSpo2(patient: string): Observation[] {
  const t0 = Date.now() - 60_000;

  return [0, 5_000, 11_000].map((dt) =>
    createObservation({
      patient,
      device: { id: `ox-${patient}`, transport: 'serial' },
      code: 'spo2',
      value: 85,
      effectiveAt: new Date(t0 + dt).toISOString(),
    }),
  );
}

function sealObs(observations: Observation[]) {
  const batchSeq = ++seq;
  const body = { agentId: agent.agentId, seq: batchSeq, sentAt: new Date().toISOString() };

  return sealJson(
    { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(batchSeq) },
    { ...body, observations },
    agent.sealingKey,
  );
}

function sealAlarm(patient: string) {
  const batchSeq = ++seq;
  const alarm = {
    id: crypto.randomUUID(),
    patient,
    deviceId: `ox-${patient}`,
    kind: 'device',
    severity: 'urgent',
    code: 'probe-off',
    reason: 'sensor-detached',
    raisedAt: new Date().toISOString(),
  };
  const body = { agentId: agent.agentId, seq: batchSeq, sentAt: new Date().toISOString() };

  return sealJson(
    { kind: 'alarm', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(batchSeq) },
    { ...body, alarms: [alarm] },
    agent.sealingKey,
  );
}

function send(kind: 'obs' | 'alarm', payload: Uint8Array) {
  return service.ingest.handle({ agentId: agent.agentId, kind, payload });
}

async function failAlertCommits(on: boolean) {
  if (!on) {
    await admin.query('drop trigger if exists fail_alert_insert on alerting.alerts');

    return;
  }
  await admin.query(`
    create or replace function public.fail_alert_insert() returns trigger
    language plpgsql as $$ begin raise exception 'injected alert commit failure'; end $$`);
  await admin.query(`
    create trigger fail_alert_insert before insert on alerting.alerts
    for each row execute function public.fail_alert_insert()`);
}

async function alertsOf(patient: string, code: string): Promise<number> {
  const r = await admin.query<{ n: string }>(
    'select count(*) n from alerting.alerts where patient_id = $1 and code = $2',
    [patient, code],
  );

  return Number(r.rows[0].n);
}

async function markers(): Promise<number> {
  const r = await admin.query<{ n: string }>(
    'select count(*) n from vitals.unevaluated_batch where agent_id = $1',
    [agent.agentId],
  );

  return Number(r.rows[0].n);
}

function countRaised(s: AlertingService, patient: string) {
  const raised: string[] = [];
  s.engine!.on('alertRaised', (e) => {
    if (e.patientId === patient) {
      raised.push(e.alert.code);
    }
  });

  return raised;
}

test('engine fails once: no ack; the resend (a duplicate) raises the alert exactly once', async () => {
  const patient = 'p-lost-1';
  const raised = countRaised(service, patient);
  const frame = sealObs(lowSpo2(patient));

  await failAlertCommits(true);
  const failed = await send('obs', frame).finally(() => failAlertCommits(false));

  assert.equal(failed, { status: 'refused', code: 'ENGINE_FAILED' }, 'no ack');
  assert.is(await alertsOf(patient, 'spo2'), 0);
  assert.is(await markers(), 1, 'the stored batch is marked unevaluated');

  const resent = await send('obs', frame);

  assert.is(resent.status, 'acked');
  if (resent.status === 'acked') {
    assert.equal([resent.ack.stored, resent.ack.duplicates], [0, 3], 'the rows were stored');
  }
  assert.is(await alertsOf(patient, 'spo2'), 1, 'the resend raised it');
  // SpO2 85 % also scores NEWS2 3 on one parameter: each alert once.
  assert.equal(raised.sort(), ['news2', 'spo2']);
  assert.is(await markers(), 0, 'evaluated: the marker is gone');

  const third = await send('obs', frame);

  assert.is(third.status, 'acked');
  assert.is(await alertsOf(patient, 'spo2'), 1, 'an evaluated resend raises nothing');
  assert.equal(raised, ['news2', 'spo2']);
});

test('a device alarm whose alert failed to commit passes through on the resend', async () => {
  const patient = 'p-lost-2';
  const raised = countRaised(service, patient);
  const frame = sealAlarm(patient);

  await failAlertCommits(true);
  const failed = await send('alarm', frame).finally(() => failAlertCommits(false));
  const resent = await send('alarm', frame);

  assert.equal(failed, { status: 'refused', code: 'ENGINE_FAILED' });
  assert.is(resent.status, 'acked');
  assert.is(await alertsOf(patient, 'probe-off'), 1);
  assert.equal(raised, ['probe-off']);
});

test('hub restarted between the commit and the evaluation: the resend is evaluated', async () => {
  const patient = 'p-lost-3';
  const frame = sealObs(lowSpo2(patient));
  await failAlertCommits(true);
  const failed = await send('obs', frame).finally(() => failAlertCommits(false));
  await service.stop();

  service = await start();
  const raised = countRaised(service, patient);
  const resent = await send('obs', frame);

  assert.equal(failed, { status: 'refused', code: 'ENGINE_FAILED' });
  assert.is(resent.status, 'acked');
  assert.is(await alertsOf(patient, 'spo2'), 1, 'raised by the restarted hub');
  assert.equal(raised.sort(), ['news2', 'spo2']);
  assert.is(await markers(), 0);
});

test.after(async () => {
  await service.stop();
  await admin.end();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });
});

test.run();
