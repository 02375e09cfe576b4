import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createScratchDatabase, openDatabase, type Database } from '../db/index.js';
import { AlertEngine } from './alert-engine.js';
import type { AlertError } from './errors.js';
import { spo2, TestClock, vital } from './test-fixtures.js';
import type { AlertEvent, AuditEvent } from './types.js';

async function feedSpo2(engine: AlertEngine, clock: TestClock, patient: string, values: number[]) {
  for (const v of values) {
    await engine.handleObservations([spo2(patient, v, clock.now)]);
    clock.advance(1000);
  }
}

async function lifecycle(db: Database) {
  const clock = new TestClock();
  const audits: AuditEvent[] = [];
  const events: AlertEvent[] = [];
  const engine = await AlertEngine.open({
    db,
    clock: clock.read,
    audit: (e) => void audits.push(e),
  });
  engine.on('alertEvent', (e) => events.push(e));
  await engine.setPatientUnit('p-1', 'ward-3', 'admin-1');

  // 12 s below 90 % at 1 Hz: one alert, raised once (dedupe), to the nurse first.
  await feedSpo2(engine, clock, 'p-1', Array(15).fill(86));
  const raised = events.filter((e) => e.kind === 'raised' && e.alert.ruleId === 'spo2-low');
  assert.is(raised.length, 1);
  // NEWS2 scores the same desaturation 3 (scale 1, SpO2 ≤ 91): its own low-medium alert.
  const news2 = events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'news2')?.alert;
  assert.equal([news2?.severity, news2?.escalation?.policyId], ['low-medium', 'low']);
  const alert = raised[0].alert;
  assert.equal(
    [alert.ruleId, alert.unit, alert.severity, alert.status],
    ['spo2-low', 'ward-3', 'high', 'firing'],
  );
  assert.is(alert.escalation?.target, 'nurse');
  assert.is(alert.explanation.evidence[0]?.value, 86);
  assert.is(Date.parse(alert.raisedAt) - Date.parse(alert.explanation.evidence[0].at), 10_000);

  // Escalation: charge nurse 60 s after, physician 60 s later, then the chain repeats.
  const targets = () =>
    events
      .filter((e) => e.kind === 'escalated' && e.alertId === alert.id)
      .map((e) => e.detail.target);
  const raisedAt = Date.parse(alert.raisedAt);
  clock.now = raisedAt + 59_999;
  await engine.tick();
  assert.equal(targets(), []);
  clock.now = raisedAt + 60_000;
  await engine.tick();
  await engine.tick();
  assert.equal(targets(), ['charge-nurse']);
  clock.now = raisedAt + 120_000;
  await engine.tick();
  assert.equal(targets(), ['charge-nurse', 'physician']);
  clock.now = raisedAt + 240_000;
  await engine.tick();
  assert.equal(targets(), ['charge-nurse', 'physician', 'nurse']);

  // Acknowledged: escalation stops.
  const acked = await engine.acknowledge(alert.id, 'nurse-7');
  assert.equal([acked.status, acked.acknowledgedBy], ['acknowledged', 'nurse-7']);
  clock.advance(600_000);
  await engine.tick();
  assert.is(targets().length, 3);

  // Hysteresis: 91 % does not clear, ≥ 92 % for 10 s does; acknowledged so it resolves.
  await feedSpo2(engine, clock, 'p-1', Array(12).fill(91));
  assert.is((await engine.get(alert.id))?.status, 'acknowledged');
  await feedSpo2(engine, clock, 'p-1', Array(12).fill(95));
  const done = await engine.get(alert.id);
  assert.equal(
    [done?.status, done?.resolution, done?.resolvedBy],
    ['resolved', 'condition-cleared', 'system'],
  );

  // Every transition is in alert_events, with increasing cursors, and went to the audit sink.
  const history = await engine.store.history(alert.id);
  assert.equal(
    history.map((e) => e.kind),
    ['raised', 'escalated', 'escalated', 'escalated', 'acknowledged', 'resolved'],
  );
  const cursors = history.map((e) => e.cursor);
  assert.equal(
    cursors,
    [...cursors].sort((a, b) => a - b),
  );
  const alertAudits = audits.filter((a) => a.entity === `Alert/${alert.id}`);
  assert.equal(alertAudits.map((a) => [a.action, a.actor]).slice(-2), [
    ['alert.acknowledged', 'nurse-7'],
    ['alert.resolved', 'system'],
  ]);
  assert.ok(audits.some((a) => a.action === 'patient-unit.set' && a.patientId === 'p-1'));

  // A resolved alert cannot be acknowledged.
  try {
    await engine.acknowledge(alert.id, 'nurse-7');
    assert.unreachable();
  } catch (e) {
    assert.is((e as AlertError).code, 'INVALID_TRANSITION');
  }

  // An urgent alert whose condition clears unacknowledged stays open (latched).
  await feedSpo2(engine, clock, 'p-1', Array(11).fill(85));
  await feedSpo2(engine, clock, 'p-1', Array(11).fill(97));
  const latched = [...events]
    .reverse()
    .find((e) => e.kind === 'condition-cleared' && e.alert.ruleId === 'spo2-low')?.alert;
  assert.equal([latched?.status, typeof latched?.clearedAt], ['firing', 'string']);
  await engine.resolve(latched!.id, 'nurse-7');

  // Non-actionable marker and the unit's rate.
  await engine.markNonActionable(latched!.id, 'nurse-7', 'probe artefact');
  const all = await engine.store.list({ units: ['ward-3'] });
  await engine.markNonActionable(all.find((a) => a.ruleId === 'news2')!.id, 'nurse-7');
  const rates = await engine.store.nonActionableRates(
    '2026-01-01T00:00:00Z',
    '2026-02-01T00:00:00Z',
  );
  assert.equal(rates, [
    { unit: 'ward-3', total: all.length, nonActionable: 2, rate: 2 / all.length },
  ]);
  await engine.close();
}

async function silences(db: Database) {
  const clock = new TestClock();
  const events: AlertEvent[] = [];
  const engine = await AlertEngine.open({ db, clock: clock.read });
  engine.on('alertEvent', (e) => events.push(e));
  await engine.setPatientUnit('p-2', 'ward-9', 'admin-1');
  const silence = await engine.silence(
    { unit: 'ward-9', endsAt: new Date(clock.now + 600_000).toISOString() },
    'charge-1',
  );

  // A medium alert (heart rate > 130 for 30 s) is silenced: no escalation while it lasts.
  for (let s = 0; s < 32; s++) {
    await engine.handleObservations([vital('p-2', 'heart-rate', 140, clock.now)]);
    clock.advance(1000);
  }
  // An urgent one (SpO2) ignores the silence.
  await feedSpo2(engine, clock, 'p-2', Array(12).fill(80));
  const hr = events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'heart-rate-high')!.alert;
  const ox = events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'spo2-low')!.alert;
  assert.equal([hr.silenced, ox.silenced], [true, false]);
  assert.is(hr.escalation?.target, '', 'nobody notified');
  assert.is(ox.escalation?.target, 'nurse');

  clock.advance(300_000);
  await engine.tick();
  const escalated = (ruleId: string) =>
    events
      .filter((e) => e.kind === 'escalated' && e.unit === 'ward-9' && e.alert.ruleId === ruleId)
      .map((e) => e.detail.target);
  assert.equal(escalated('spo2-low'), ['charge-nurse'], 'urgent escalates through the silence');
  assert.equal(escalated('heart-rate-high'), []);

  // The silence ends: the medium alert starts its chain at the nurse.
  clock.now = Date.parse(silence.endsAt);
  await engine.tick();
  assert.equal(escalated('heart-rate-high'), ['nurse']);
  await engine.close();
}

async function restart(db: Database, reopen: () => Promise<Database>) {
  const clock = new TestClock();
  let engine = await AlertEngine.open({ db, clock: clock.read });
  await engine.setPatientUnit('p-3', 'ward-1', 'admin-1');
  await engine.setProfile(
    {
      patientId: 'p-3',
      spo2Scale: 1,
      onOxygen: false,
      consciousness: 'A',
      conditions: ['heart-failure'],
    },
    'dr-1',
  );
  await feedSpo2(engine, clock, 'p-3', Array(12).fill(84));
  await engine.handleObservations([vital('p-3', 'body-weight', 80, clock.now)]);
  const before = await engine.store.open();
  assert.equal(before.map((a) => a.ruleId).sort(), ['news2', 'spo2-low']);
  await engine.close();
  await db.close();

  // The hub restarts on the same database: the open alert, its escalation and the weight
  // history survive.
  const db2 = await reopen();
  engine = await AlertEngine.open({ db: db2, clock: clock.read });
  const events: AlertEvent[] = [];
  engine.on('alertEvent', (e) => events.push(e));
  assert.equal(
    (await engine.store.open()).map((a) => a.id),
    before.map((a) => a.id),
  );
  clock.advance(2 * 86_400_000);
  await engine.handleObservations([vital('p-3', 'body-weight', 82.5, clock.now)]);
  assert.ok(
    events.some((e) => e.kind === 'raised' && e.alert.ruleId === 'weight-gain-hf'),
    'weight trend spans the restart',
  );
  // Re-firing the same condition after restart does not raise a duplicate.
  await feedSpo2(engine, clock, 'p-3', Array(3).fill(84));
  assert.not.ok(events.some((e) => e.kind === 'raised' && e.alert.ruleId === 'spo2-low'));
  await engine.resolve(before.find((a) => a.ruleId === 'spo2-low')!.id, 'nurse-1');
  await engine.close();

  return db2;
}

async function overrides(db: Database) {
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  await engine.setOverride(
    {
      ruleId: 'spo2-low',
      patientId: 'p-4',
      params: { threshold: 85, clearAt: 88 },
      reason: 'COPD baseline',
    },
    'dr-2',
  );
  await feedSpo2(engine, clock, 'p-4', Array(12).fill(87));
  const spo2Alerts = () => engine.store.list({ patientId: 'p-4', ruleId: 'spo2-low' });
  assert.is((await spo2Alerts()).length, 0, 'override lowers the threshold');
  await feedSpo2(engine, clock, 'p-4', Array(12).fill(84));
  const [a] = await spo2Alerts();
  assert.is(a?.explanation.thresholds.threshold, 85);
  // The explanation names who changed the rule for this patient, when and why.
  assert.equal(a?.explanation.override, {
    setBy: 'dr-2',
    setAt: '2026-01-05T08:00:00.000Z',
    reason: 'COPD baseline',
    params: { threshold: 85, clearAt: 88 },
  });
  const others = await engine.store.list({ ruleId: 'news2', patientId: 'p-4' });
  assert.ok(others.length > 0);
  assert.is(others[0].explanation.override, undefined, 'only the overridden rule says so');
  try {
    await engine.setOverride(
      { ruleId: 'spo2-low', patientId: 'p-4', params: { clearAt: 80 } },
      'dr-2',
    );
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'INVALID_OVERRIDE');
  }
  const { rows } = await db.query<{ action: string }>(
    'select action from alerting.config_events order by id',
  );
  assert.equal(
    rows.map((r) => r.action),
    ['override.set'],
  );
  await engine.close();
}

async function passThrough(db: Database) {
  const clock = new TestClock();
  const events: AlertEvent[] = [];
  const engine = await AlertEngine.open({ db, clock: clock.read });
  engine.on('alertEvent', (e) => events.push(e));
  const alarm = {
    id: '0190a0a0-0000-7000-8000-0000000000a1',
    patient: 'p-5',
    deviceId: 'ecg-1',
    kind: 'device' as const,
    severity: 'urgent' as const,
    code: 'VFIB',
    reason: 'device-alarm',
    raisedAt: new Date(clock.now).toISOString(),
  };
  await engine.handleAlarms('agent-1', [alarm]);
  await engine.handleAlarms('agent-1', [alarm]);
  const raised = events.filter((e) => e.kind === 'raised');
  assert.equal(
    raised.map((e) => [e.alert.ruleId, e.alert.code, e.alert.severity]),
    [['device-alarm', 'VFIB', 'urgent']],
  );

  // A device that stops reporting past 3 × its cadence raises a stale-data alert; reporting clears it.
  await engine.handleObservations([vital('p-5', 'body-weight', 70, clock.now, 'scale-1')]);
  await engine.setDeviceCadence('scale-1', 60_000, 'it-1');
  clock.advance(180_001);
  await engine.tick();
  const stale = events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'stale-data')?.alert;
  assert.equal([stale?.code, stale?.severity], ['device/scale-1', 'low']);
  await engine.handleObservations([vital('p-5', 'body-weight', 70.1, clock.now, 'scale-1')]);
  const cleared = events.find((e) => e.kind === 'resolved' && e.alertId === stale?.id);
  assert.is(cleared?.alert.resolution, 'condition-cleared');

  // An HL7 critical flag passes through; a later normal reading clears it.
  const flagged = { ...vital('p-5', 'glucose', 450, clock.now), interpretation: ['HH'] };
  await engine.handleObservations([flagged]);
  const flag = events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'device-flag')?.alert;
  assert.equal([flag?.severity, flag?.title], ['high', 'Abnormal flag: glucose HH']);
  await engine.acknowledge(flag!.id, 'nurse-1');
  await engine.handleObservations([vital('p-5', 'glucose', 110, clock.now + 60_000)]);
  assert.is((await engine.get(flag!.id))?.status, 'resolved');
  await engine.close();
}

async function onPostgres(fn: (db: Database) => Promise<void>) {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  try {
    await fn(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

// PGlite takes seconds to start; its tests share one instance and use distinct patients and units.
let pglite: Database | undefined;

async function onPglite(fn: (db: Database) => Promise<void>) {
  pglite ??= await openDatabase();
  await fn(pglite);
}

test.after(async () => {
  await pglite?.close();
});

test('PostgreSQL: raise, dedupe, escalate, acknowledge, hysteresis, latch, non-actionable', () =>
  onPostgres(lifecycle));
test('PGlite: the same lifecycle', () => onPglite(lifecycle));
test('PostgreSQL: silences never mute urgent alerts', () => onPostgres(silences));
test('PGlite: silences never mute urgent alerts', () => onPglite(silences));
test('PostgreSQL: device alarms, HL7 flags and no-data pass through', () =>
  onPostgres(passThrough));
test('PostgreSQL: per-patient overrides are checked, applied and recorded', () =>
  onPostgres(overrides));

test('PostgreSQL: a restarted hub keeps open alerts and rule memory', async () => {
  const scratch = await createScratchDatabase();
  let db = await openDatabase({ url: scratch.url });
  try {
    db = await restart(db, () => openDatabase({ url: scratch.url }));
  } finally {
    await db.close();
    await scratch.drop();
  }
});

test.run();
