import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { AlertEngine } from '../alerts/alert-engine.js';
import { spo2, TestClock, vital } from '../alerts/test-fixtures.js';
import type { AlertEvent } from '../alerts/types.js';
import type { Principal } from '../api/principal.js';
import { createScratchDatabase, openDatabase, type Database } from '../db/index.js';
import { attachConsole, type CommandReply, type ConsoleNamespace } from './console-namespace.js';

const PRINCIPALS: Record<string, Principal> = {
  'tok-ward-3': { sub: 'nurse-3', role: 'nurse', units: ['ward-3'] },
  'tok-ward-3-night': { sub: 'nurse-8', role: 'nurse', units: ['ward-3'] },
  'tok-patient': { sub: 'pat-1', role: 'patient', units: [], patientId: 'p-1' },
};

async function authenticate(token: string): Promise<Principal> {
  const p = PRINCIPALS[token];
  if (p === undefined) {
    throw new Error('bad token');
  }

  return Promise.resolve(p);
}

// The gateway's lookup of a staff member's Practitioner name; nurse-8 has none on record.
const NAMES: Record<string, string> = { 'nurse-3': 'Robin Hale' };

function displayNameOf(p: Principal): Promise<string | undefined> {
  return Promise.resolve(NAMES[p.sub]);
}

interface Hub {
  engine: AlertEngine;
  http: HttpServer;
  io: Server;
  console: ConsoleNamespace;
  url: string;
  close(): Promise<void>;
}

async function startHub(db: Database, clock: TestClock): Promise<Hub> {
  const engine = await AlertEngine.open({ db, clock: clock.read });
  const http = createServer();
  const io = new Server(http);
  const consoleNs = await attachConsole(io, {
    engine,
    authenticate,
    displayNameOf,
    replayBatch: 3,
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    engine,
    http,
    io,
    console: consoleNs,
    url: `http://127.0.0.1:${port}/console`,
    async close() {
      consoleNs.close();
      await engine.close();
      await io.close();
    },
  };
}

interface Client {
  socket: ClientSocket;
  events: AlertEvent[];
  ready: Promise<number>;
}

function openClient(url: string, token: string, cursor?: number): Client {
  const socket = connect(url, {
    auth: { token, cursor },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const events: AlertEvent[] = [];
  socket.on('alert', (e: AlertEvent) => events.push(e));
  const ready = new Promise<number>((resolve, reject) => {
    socket.once('ready', (r: { cursor: number }) => resolve(r.cursor));
    socket.once('connect_error', reject);
  });

  return { socket, events, ready };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(check(), `timed out waiting for ${what}`);
}

async function desaturate(
  engine: AlertEngine,
  clock: TestClock,
  patient: string,
  seconds: number,
  value = 84,
) {
  for (let s = 0; s < seconds; s++) {
    await engine.handleObservations([spo2(patient, value, clock.now)]);
    clock.advance(1000);
  }
}

function command(c: Client, name: string, payload: unknown): Promise<CommandReply> {
  return c.socket.timeout(5000).emitWithAck(name, payload) as Promise<CommandReply>;
}

test('a console gets its unit live, misses nothing across a reconnect and a hub restart', async () => {
  const scratch = await createScratchDatabase();
  let db = await openDatabase({ url: scratch.url });
  const clock = new TestClock();
  let hub = await startHub(db, clock);
  let client: Client | undefined;
  try {
    await hub.engine.setPatientUnit('p-1', 'ward-3', 'admin');
    await hub.engine.setPatientUnit('p-9', 'ward-4', 'admin');

    client = openClient(hub.url, 'tok-ward-3');
    await client.ready;
    await desaturate(hub.engine, clock, 'p-1', 12);
    await desaturate(hub.engine, clock, 'p-9', 12);
    await until(() => client!.events.some((e) => e.alert.ruleId === 'spo2-low'), 'the live alert');
    assert.ok(
      client.events.every((e) => e.unit === 'ward-3'),
      'only its own unit',
    );
    const live = client.events.find((e) => e.kind === 'raised' && e.alert.ruleId === 'spo2-low')!;
    assert.is(live.alert.explanation.ruleId, 'spo2-low');

    // Acknowledge over the socket; another unit's alert is not found.
    const reply = await command(client, 'acknowledge', { alertId: live.alertId });
    assert.equal(reply.ok && reply.alert?.status, 'acknowledged');
    const other = (await hub.engine.store.list({ units: ['ward-4'] }))[0];
    const denied = await command(client, 'acknowledge', { alertId: other.id });
    assert.equal(!denied.ok && denied.error.code, 'NOT_FOUND');
    await until(() => client!.events.some((e) => e.kind === 'acknowledged'), 'the acknowledgement');

    // Disconnect; alerts keep firing and escalating.
    const seen = client.events.at(-1)!.cursor;
    client.socket.disconnect();
    await desaturate(hub.engine, clock, 'p-1', 12, 97);
    await desaturate(hub.engine, clock, 'p-1', 12, 80);
    clock.advance(61_000);
    await hub.engine.tick();
    await hub.engine.handleObservations([vital('p-1', 'resp-rate', 26, clock.now)]);

    const missed = await hub.engine.store.eventsAfter(seen, ['ward-3'], 1000);
    assert.ok(missed.length > 3, 'several events missed (replay batches of 3)');
    client = openClient(hub.url, 'tok-ward-3', seen);
    await client.ready;
    assert.equal(
      client.events.map((e) => e.cursor),
      missed.map((e) => e.cursor),
      'exactly the missed events, in order',
    );

    // The hub dies and restarts on the same database; events happen before the console
    // is back.
    const seen2 = client.events.at(-1)!.cursor;
    client.socket.disconnect();
    await hub.close();
    await db.close();
    db = await openDatabase({ url: scratch.url });
    hub = await startHub(db, clock);
    clock.advance(120_000);
    await hub.engine.tick();
    await hub.engine.tick();
    const missed2 = await hub.engine.store.eventsAfter(seen2, ['ward-3'], 1000);
    assert.ok(
      missed2.some((e) => e.kind === 'escalated'),
      'the restarted engine keeps escalating',
    );

    client = openClient(hub.url, 'tok-ward-3', seen2);
    await client.ready;
    assert.equal(
      client.events.map((e) => e.cursor),
      missed2.map((e) => e.cursor),
    );
    // ...and then live events, with no gap and no duplicate.
    const open = (await hub.engine.store.open()).find(
      (a) => a.unit === 'ward-3' && a.status === 'firing',
    )!;
    await hub.engine.resolve(open.id, 'nurse-3');
    await until(
      () => client!.events.some((e) => e.kind === 'resolved' && e.alertId === open.id),
      'the live event',
    );
    const cursors = client.events.map((e) => e.cursor);
    const all = await hub.engine.store.eventsAfter(seen2, ['ward-3'], 1000);
    assert.equal(
      cursors,
      all.map((e) => e.cursor),
    );
  } finally {
    client?.socket.disconnect();
    await hub.close();
    await db.close();
    await scratch.drop();
  }
});

test('handshake: a patient or a bad token is refused; a fresh console gets a snapshot', async () => {
  const db = await openDatabase();
  const clock = new TestClock();
  const hub = await startHub(db, clock);
  try {
    for (const [token, code] of [
      ['tok-patient', 'FORBIDDEN'],
      ['nope', 'UNAUTHENTICATED'],
    ]) {
      const c = openClient(hub.url, token);
      try {
        await c.ready;
        assert.unreachable();
      } catch (e) {
        assert.is((e as { data?: { code: string } }).data?.code, code);
      } finally {
        c.socket.disconnect();
      }
    }
    await hub.engine.setPatientUnit('p-1', 'ward-3', 'admin');
    await desaturate(hub.engine, clock, 'p-1', 12);
    const c = openClient(hub.url, 'tok-ward-3');
    const snapshot = new Promise<{ patients: Array<{ patientId: string; alerts: unknown[] }> }>(
      (r) => c.socket.once('snapshot', r),
    );
    await c.ready;
    const s = await snapshot;
    assert.equal(
      s.patients.map((p) => p.patientId),
      ['p-1'],
    );
    assert.is(s.patients[0].alerts.length, 2, 'spo2-low and NEWS2, grouped under the patient');
    const bad = await command(c, 'silence', {
      unit: 'ward-4',
      endsAt: new Date(clock.now + 60_000).toISOString(),
    });
    assert.equal(!bad.ok && bad.error.code, 'FORBIDDEN');
    const ok = await command(c, 'silence', {
      unit: 'ward-3',
      endsAt: new Date(clock.now + 60_000).toISOString(),
    });
    assert.ok(ok.ok);
    c.socket.disconnect();
  } finally {
    await hub.close();
    await db.close();
  }
});

test('an acknowledgement on one console names its acknowledger on another, live and replayed', async () => {
  const db = await openDatabase();
  const clock = new TestClock();
  const hub = await startHub(db, clock);
  const day = openClient(hub.url, 'tok-ward-3');
  const night = openClient(hub.url, 'tok-ward-3-night');
  let later: Client | undefined;
  try {
    await Promise.all([day.ready, night.ready]);
    await hub.engine.setPatientUnit('p-1', 'ward-3', 'admin');
    await hub.engine.setPatientUnit('p-2', 'ward-3', 'admin');
    await desaturate(hub.engine, clock, 'p-1', 12);
    await desaturate(hub.engine, clock, 'p-2', 12);
    const raised = (patient: string) =>
      night.events.find(
        (e) => e.kind === 'raised' && e.patientId === patient && e.alert.ruleId === 'spo2-low',
      );
    await until(() => raised('p-1') !== undefined && raised('p-2') !== undefined, 'the alerts');
    const before = night.events.at(-1)!.cursor;

    const byDay = await command(day, 'acknowledge', { alertId: raised('p-1')!.alertId });
    const byNight = await command(night, 'acknowledge', { alertId: raised('p-2')!.alertId });
    const acks = (c: Client) =>
      c.events
        .filter((e) => e.kind === 'acknowledged')
        .map((e) => [e.patientId, e.alert.acknowledgedBy, e.alert.acknowledgedByName]);
    await until(() => acks(night).length === 2 && acks(day).length === 2, 'both pushes');

    assert.is(byDay.ok && byDay.alert?.acknowledgedByName, 'Robin Hale');
    assert.is(byNight.ok && byNight.alert?.acknowledgedByName, undefined);
    const expected = [
      ['p-1', 'nurse-3', 'Robin Hale'],
      ['p-2', 'nurse-8', undefined],
    ];
    assert.equal(acks(night), expected, 'pushed to the other console');
    assert.equal(acks(day), expected);

    // A console that comes back after both acknowledgements replays them, names and all.
    night.socket.disconnect();
    later = openClient(hub.url, 'tok-ward-3-night', before);
    await later.ready;
    assert.equal(acks(later), expected, 'replayed from the database');
  } finally {
    day.socket.disconnect();
    night.socket.disconnect();
    later?.socket.disconnect();
    await hub.close();
    await db.close();
  }
});

test.run();
