import { Hono, type Context } from 'hono';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertEngine } from '../alerts/alert-engine.js';
import { spo2, TestClock } from '../alerts/test-fixtures.js';
import type { Alert, AlertEvent } from '../alerts/types.js';
import { createScratchDatabase, openDatabase } from '../db/index.js';
import { createAlertRoutes, type AlertAction } from './alert-routes.js';
import { httpStatusOf } from './errors.js';
import { coversUnit, type Principal } from './principal.js';

class Denied extends Error {
  readonly code = 'FORBIDDEN';
}

const USERS: Record<string, Principal> = {
  nurse: { sub: 'nurse-3', role: 'nurse', units: ['ward-3'] },
  doctor: { sub: 'dr-1', role: 'clinician', units: ['ward-3'] },
  billing: { sub: 'bill-1', role: 'billing', units: [] },
};
const CLINICIAN_ONLY: AlertAction[] = ['rules.write', 'overrides.write', 'profiles.write'];

// The gateway's RBAC/ABAC, reduced to what these routes need.
function authorize(c: Context, action: AlertAction, scope: { unit?: string }): Promise<Principal> {
  const p = USERS[c.req.header('x-user') ?? ''];
  const clinical = p !== undefined && (p.role === 'nurse' || p.role === 'clinician');
  const roleOk = clinical && (!CLINICIAN_ONLY.includes(action) || p.role === 'clinician');
  if (!roleOk || (scope.unit !== undefined && !coversUnit(p, scope.unit))) {
    return Promise.reject(new Denied(action));
  }

  return Promise.resolve(p);
}

test('alert and rule routes, authorised through the injected hook', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  const app = new Hono();
  app.route('/api/alerting', createAlertRoutes({ engine, authorize }));
  app.onError((err, c) => {
    const status = err instanceof Denied ? 403 : (httpStatusOf(err) ?? 500);

    return c.json(
      { code: (err as { code?: string }).code ?? 'ERROR', message: err.message },
      status,
    );
  });
  const call = async (user: string, method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/alerting${path}`, {
      method,
      headers: { 'x-user': user, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

    return {
      status: res.status,
      json: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>),
    };
  };

  try {
    assert.is((await call('nurse', 'PUT', '/patients/p-1/unit', { unit: 'ward-3' })).status, 200);
    assert.is((await call('nurse', 'PUT', '/patients/p-2/unit', { unit: 'ward-4' })).status, 403);
    await engine.setPatientUnit('p-2', 'ward-4', 'admin');
    for (const p of ['p-1', 'p-2']) {
      for (let s = 0; s < 12; s++) {
        await engine.handleObservations([spo2(p, 84, clock.now)]);
        clock.advance(1000);
      }
    }

    const list = await call('nurse', 'GET', '/alerts?status=firing&ruleId=spo2-low');
    const alerts = list.json?.alerts as Alert[];
    assert.equal(
      alerts.map((a) => a.patientId),
      ['p-1'],
      'only the nurse’s unit',
    );
    const id = alerts[0].id;
    const one = await call('nurse', 'GET', `/alerts/${id}`);
    assert.is((one.json?.alert as Alert).explanation.ruleId, 'spo2-low');
    assert.equal(
      (one.json?.history as Array<{ kind: string }>).map((e) => e.kind),
      ['raised'],
    );
    const other = (await engine.store.list({ units: ['ward-4'], ruleId: 'spo2-low' }))[0];
    assert.is((await call('nurse', 'GET', `/alerts/${other.id}`)).status, 403);
    assert.is(
      (await call('nurse', 'GET', '/alerts/00000000-0000-0000-0000-000000000000')).status,
      404,
    );

    assert.is((await call('nurse', 'POST', `/alerts/${id}/escalate`, {})).json?.alert && 200, 200);
    const acked = await call('nurse', 'POST', `/alerts/${id}/acknowledge`, { note: 'at bedside' });
    assert.is((acked.json?.alert as Alert).status, 'acknowledged');
    assert.is((await call('nurse', 'POST', `/alerts/${id}/acknowledge`, { bogus: 1 })).status, 400);
    assert.is((await call('nurse', 'POST', `/alerts/${id}/resolve`, {})).status, 200);
    assert.is((await call('nurse', 'POST', `/alerts/${id}/resolve`, {})).status, 409);
    assert.is(
      (await call('nurse', 'POST', `/alerts/${id}/non-actionable`, { reason: 'artefact' })).status,
      200,
    );

    const endsAt = new Date(clock.now + 3_600_000).toISOString();
    const sil = await call('nurse', 'POST', '/silences', { unit: 'ward-3', endsAt });
    assert.is(sil.status, 201);
    assert.is(
      (
        await call('nurse', 'POST', '/silences', {
          unit: 'ward-3',
          endsAt: new Date(clock.now + 86_400_000).toISOString(),
        })
      ).status,
      400,
    );
    assert.is((await call('nurse', 'GET', '/silences')).json?.silences && 200, 200);
    assert.is(
      (await call('nurse', 'DELETE', `/silences/${(sil.json?.silence as { id: string }).id}`))
        .status,
      204,
    );

    // Rules and overrides: clinicians only.
    assert.is(
      (
        await call('nurse', 'PUT', '/patients/p-1/overrides/spo2-low', {
          params: { threshold: 85, clearAt: 88 },
        })
      ).status,
      403,
    );
    const ov = await call('doctor', 'PUT', '/patients/p-1/overrides/spo2-low', {
      params: { threshold: 85, clearAt: 88 },
      reason: 'COPD',
    });
    assert.equal([ov.status, (ov.json?.override as { setBy: string }).setBy], [200, 'dr-1']);
    assert.is(
      (
        await call('doctor', 'PUT', '/patients/p-1/overrides/spo2-low', {
          params: { forMs: 'soon' },
        })
      ).status,
      400,
    );
    assert.is(
      (await call('doctor', 'PUT', '/patients/p-1/overrides/nope', { params: {} })).status,
      404,
    );
    assert.is(
      ((await call('nurse', 'GET', '/patients/p-1/overrides')).json?.overrides as unknown[]).length,
      1,
    );
    assert.is((await call('doctor', 'DELETE', '/patients/p-1/overrides/spo2-low')).status, 204);
    const prof = await call('doctor', 'PUT', '/patients/p-1/profile', {
      spo2Scale: 2,
      onOxygen: true,
      consciousness: 'A',
      conditions: [],
    });
    assert.is(prof.status, 200);
    const rules = (await call('nurse', 'GET', '/rules')).json?.rules as Array<{ id: string }>;
    assert.ok(rules.some((r) => r.id === 'news2'));
    const hr = rules.find((r) => r.id === 'heart-rate-high')!;
    assert.is(
      (await call('doctor', 'PUT', '/rules/heart-rate-high', { ...hr, threshold: 140 })).status,
      200,
    );
    assert.is(
      (await call('doctor', 'PUT', '/rules/heart-rate-high', { ...hr, kind: 'news2' })).status,
      400,
    );

    const rates = await call(
      'nurse',
      'GET',
      '/reports/non-actionable?since=2026-01-01T00:00:00Z&until=2026-02-01T00:00:00Z',
    );
    const r = (rates.json?.rates as Array<{ unit: string; nonActionable: number }>)[0];
    assert.equal([r?.unit, r?.nonActionable], ['ward-3', 1]);
    assert.is((await call('billing', 'GET', '/alerts')).status, 403);
  } finally {
    await engine.close();
    await db.close();
    await scratch.drop();
  }
});

test('an acknowledgement names its acknowledger on the answer, the push and the list', async () => {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  const engine = await AlertEngine.open({ db, clock: clock.read });
  // The gateway's lookup of a staff member's Practitioner name; the clinician has none.
  const names: Record<string, string> = { 'nurse-3': 'Robin Hale' };
  const app = new Hono();
  app.route(
    '/api/alerting',
    createAlertRoutes({
      engine,
      authorize,
      displayNameOf: (p) => Promise.resolve(names[p.sub]),
    }),
  );
  const pushed: AlertEvent[] = [];
  engine.on('alertEvent', (e) => pushed.push(e));
  const call = async (user: string, method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/alerting${path}`, {
      method,
      headers: { 'x-user': user, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.is(res.status, 200, `${method} ${path}`);

    return (await res.json()) as { alert?: Alert; alerts?: Alert[] };
  };

  try {
    for (const p of ['p-1', 'p-2']) {
      await engine.setPatientUnit(p, 'ward-3', 'admin');
      for (let s = 0; s < 12; s++) {
        await engine.handleObservations([spo2(p, 84, clock.now)]);
        clock.advance(1000);
      }
    }
    const firing = await engine.store.list({ ruleId: 'spo2-low' });
    const byPatient = new Map(firing.map((a) => [a.patientId, a.id]));

    const mine = await call('nurse', 'POST', `/alerts/${byPatient.get('p-1')}/acknowledge`, {});
    const theirs = await call('doctor', 'POST', `/alerts/${byPatient.get('p-2')}/acknowledge`, {});
    const again = await call('doctor', 'POST', `/alerts/${byPatient.get('p-1')}/acknowledge`, {});

    assert.equal(
      [mine.alert?.acknowledgedBy, mine.alert?.acknowledgedByName],
      ['nurse-3', 'Robin Hale'],
    );
    assert.equal(
      [theirs.alert?.acknowledgedBy, theirs.alert?.acknowledgedByName],
      ['dr-1', undefined],
      'no name known: the id only',
    );
    assert.is(again.alert?.acknowledgedByName, 'Robin Hale', 'the first acknowledger stays');
    const acks = pushed.filter((e) => e.kind === 'acknowledged');
    assert.equal(
      acks.map((e) => [e.actor, e.alert.acknowledgedBy, e.alert.acknowledgedByName]),
      [
        ['nurse-3', 'nurse-3', 'Robin Hale'],
        ['dr-1', 'dr-1', undefined],
      ],
    );
    const list = await call('nurse', 'GET', '/alerts?status=acknowledged&ruleId=spo2-low');
    assert.equal(list.alerts?.map((a) => [a.patientId, a.acknowledgedByName]).sort(), [
      ['p-1', 'Robin Hale'],
      ['p-2', undefined],
    ]);
    const one = await call('doctor', 'GET', `/alerts/${byPatient.get('p-1')}`);
    assert.is(one.alert?.acknowledgedByName, 'Robin Hale');
  } finally {
    await engine.close();
    await db.close();
    await scratch.drop();
  }
});

test.run();
