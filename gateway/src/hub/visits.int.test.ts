/**
 * The gateway's visit routes and records on real PostgreSQL (and, for placement, real Redis):
 * the token route binds a token to the caller and places the visit on an SFU node; a visit
 * run through the real signaling becomes an Encounter, audit records with the patient, and a
 * visits-ledger row.
 */
import { findWorkerBinary, NodeRegistry, reportMissingMedia } from '@sparkden/sfu';
import { createHmac, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startVisitTestHub, type VisitTestHub } from '../testing/visit-hub.js';
import { encounterIdFor, type VisitEncounter } from './visit-encounter.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
// A path that is no worker binary: the embedded SFU reports media unavailable and does not
// register itself, so placement sees only the nodes a test registers.
const NO_WORKER = { workerBin: '/nonexistent/mediasoup-worker', numWorkers: 1 };

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, resolve);
    socket.once('connect_error', reject);
  });
}

async function joinVisit(hub: VisitTestHub, token: string) {
  const socket = connect(`${hub.ioUrl}/visit`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  const welcome = await once<{ participantId: string; state: string }>(socket, 'welcome');

  return { socket, welcome };
}

async function cleanRedis(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) {
    await redis.del(...keys);
  }
}

test('with TURN configured, each token answer carries relay credentials of its own', async () => {
  const turn = { urls: ['turn:turn.example.org:3478'], secret: 'a-turn-secret-of-this-test' };
  const hub = await startVisitTestHub({ media: NO_WORKER, turn });
  try {
    const apt = await hub.book();

    const host = await hub.tokenFor('clinician', apt);
    const patient = await hub.tokenFor('patient', apt);

    const [hostIce] = host.body.iceServers;
    const [patientIce] = patient.body.iceServers;
    assert.equal(hostIce?.urls, turn.urls);
    assert.match(hostIce.username, /^\d+:[0-9a-f]{16}$/);
    assert.is.not(hostIce.username, patientIce.username);
    // coturn's check [use-auth-secret]: the password is HMAC-SHA1(secret, username), in base64.
    const expected = createHmac('sha1', turn.secret).update(hostIce.username).digest('base64');
    assert.is(hostIce.credential, expected);
    assert.ok(Number(hostIce.username.split(':')[0]) > Date.now() / 1000, 'not yet expired');
  } finally {
    await hub.close();
  }
});

test('without Redis: a token bound to the caller, and the embedded SFU signaling URL', async () => {
  const hub = await startVisitTestHub({ media: NO_WORKER });
  try {
    const apt = await hub.book();

    const host = await hub.tokenFor('clinician', apt);
    const patient = await hub.tokenFor('patient', apt);

    assert.is(host.status, 200);
    assert.is(host.body.signalingUrl, hub.t.url);
    assert.is(host.body.vitalsUrl, hub.t.url);
    assert.is(host.body.role, 'host');
    const hostClaims = await hub.verify(host.body.token);
    assert.is(hostClaims.appointmentId, apt);
    assert.is(hostClaims.actorRef, 'Practitioner/demo-clinician');
    assert.is(hostClaims.patientRef, 'Patient/demo-patient-1');
    const patientClaims = await hub.verify(patient.body.token);
    assert.is(patientClaims.role, 'patient');
    assert.is(patientClaims.actorRef, 'Patient/demo-patient-1');
    assert.is(patientClaims.patientRef, undefined);
  } finally {
    await hub.close();
  }
});

test('the token carries the Practitioner and Patient names the lobby shows', async () => {
  const hub = await startVisitTestHub({ media: NO_WORKER });
  try {
    await hub.repo.update({
      resourceType: 'Practitioner',
      id: 'demo-clinician',
      name: [{ use: 'official', prefix: ['Dr.'], given: ['Ada'], family: 'Quill' }],
    });
    await hub.repo.update({
      resourceType: 'Patient',
      id: 'demo-patient-1',
      name: [
        { use: 'old', family: 'Former' },
        { use: 'usual', text: 'Sam Reed' },
      ],
    });
    const apt = await hub.book();

    const host = await hub.verify((await hub.tokenFor('clinician', apt)).body.token);
    const patient = await hub.verify((await hub.tokenFor('patient', apt)).body.token);

    assert.is(host.displayName, 'Dr. Ada Quill');
    assert.is(patient.displayName, 'Sam Reed');
  } finally {
    await hub.close();
  }
});

test("the token route refuses another patient's visit, an unknown Appointment, no session", async () => {
  const hub = await startVisitTestHub({ media: NO_WORKER });
  try {
    const other = await hub.book({ patientId: 'someone-else' });

    assert.is((await hub.tokenFor('patient', other)).status, 403);
    assert.is((await hub.tokenFor('clinician', 'no-such-appointment')).status, 404);
    const anonymous = await fetch(`${hub.t.url}/api/visits/no-such-appointment/token`, {
      method: 'POST',
    });
    assert.is(anonymous.status, 401);
  } finally {
    await hub.close();
  }
});

test('only the Appointment participants get a token, and only for a joinable status', async () => {
  const hub = await startVisitTestHub({ media: NO_WORKER });
  const appointment = async (status: string, practitioner: string) => {
    const saved = await hub.repo.create({
      resourceType: 'Appointment',
      status,
      start: new Date().toISOString(),
      end: new Date(Date.now() + 30 * 60_000).toISOString(),
      participant: [
        { actor: { reference: 'Patient/demo-patient-1' }, status: 'accepted' },
        { actor: { reference: `Practitioner/${practitioner}` }, status: 'accepted' },
      ],
    });
    return saved.id as string;
  };
  try {
    const notMine = await appointment('booked', 'another-clinician');
    assert.is((await hub.tokenFor('clinician', notMine)).status, 403);
    assert.is((await hub.tokenFor('patient', notMine)).status, 200, 'the patient is on it');

    for (const status of ['cancelled', 'noshow', 'fulfilled', 'entered-in-error', 'proposed']) {
      const apt = await appointment(status, 'demo-clinician');
      assert.is((await hub.tokenFor('clinician', apt)).status, 409, status);
      assert.is((await hub.tokenFor('patient', apt)).status, 409, status);
    }
    for (const status of ['booked', 'arrived', 'checked-in']) {
      const apt = await appointment(status, 'demo-clinician');
      assert.is((await hub.tokenFor('clinician', apt)).status, 200, status);
    }
  } finally {
    await hub.close();
  }
});

test('with Redis: the visit goes to the less-loaded of two registered nodes', async () => {
  const prefix = `sd:test:${randomUUID()}:`;
  const redis = new Redis(REDIS_URL);
  const hub = await startVisitTestHub({
    redisUrl: REDIS_URL,
    placementPrefix: prefix,
    media: NO_WORKER,
  });
  try {
    const registry = new NodeRegistry({ redis, prefix });
    await registry.publish({
      nodeId: 'busy',
      url: 'https://sfu-busy:4443',
      load: 600,
      capacity: 800,
    });
    await registry.publish({
      nodeId: 'quiet',
      url: 'https://sfu-quiet:4443',
      load: 80,
      capacity: 800,
    });
    const apt = await hub.book();

    const host = await hub.tokenFor('clinician', apt);
    const patient = await hub.tokenFor('patient', apt);

    assert.is(host.status, 200);
    assert.is(host.body.nodeId, 'quiet');
    assert.is(host.body.signalingUrl, 'https://sfu-quiet:4443');
    assert.is(patient.body.nodeId, 'quiet');
    assert.is(host.body.vitalsUrl, hub.t.url);
  } finally {
    await hub.close();
    await cleanRedis(redis, prefix);
    redis.disconnect();
  }
});

async function embeddedNodeTakesVisits(): Promise<void> {
  const prefix = `sd:test:${randomUUID()}:`;
  const redis = new Redis(REDIS_URL);
  const hub = await startVisitTestHub({
    redisUrl: REDIS_URL,
    placementPrefix: prefix,
    nodeId: 'embedded',
  });
  try {
    assert.ok(hub.visits.sfu?.status().media.available, 'the embedded SFU started its worker');
    const registry = new NodeRegistry({ redis, prefix });
    await registry.publish({
      nodeId: 'busy',
      url: 'https://sfu-busy:4443',
      load: 700,
      capacity: 800,
    });

    const nodes = await registry.list();
    const host = await hub.tokenFor('clinician', await hub.book());

    assert.equal(
      nodes.map((n) => [n.nodeId, n.url]),
      [
        ['embedded', hub.t.url],
        ['busy', 'https://sfu-busy:4443'],
      ],
    );
    assert.is(host.body.nodeId, 'embedded');
    assert.is(host.body.signalingUrl, hub.t.url);
  } finally {
    await hub.close();
    await cleanRedis(redis, prefix);
    redis.disconnect();
  }
}

const worker = findWorkerBinary();
if (worker.available) {
  test(
    'with Redis and a media worker: the embedded SFU registers itself and takes visits',
    embeddedNodeTakesVisits,
  );
} else {
  reportMissingMedia(test, 'embedded-node placement', worker.reason);
}

test('a visit through the real signaling: Encounter, participants, audit with the patient, ledger', async () => {
  const hub = await startVisitTestHub({ media: NO_WORKER });
  try {
    const apt = await hub.book();
    const host = await joinVisit(hub, (await hub.tokenFor('clinician', apt)).body.token);
    const patientToken = (await hub.tokenFor('patient', apt)).body.token;
    const lobby = once<{ waiting: { participantId: string }[] }>(host.socket, 'lobby');
    const patient = await joinVisit(hub, patientToken);
    assert.is(patient.welcome.state, 'lobby');
    await lobby;

    const admitted = once(patient.socket, 'admitted');
    await host.socket.emitWithAck('admit', { participantId: patient.welcome.participantId });
    await admitted;
    const inProgress = await waitFor('in-progress Encounter', async () => {
      const row = await hub.repo.current('Encounter', encounterIdFor(apt));
      const enc = row === undefined ? undefined : (hub.repo.toResource(row) as VisitEncounter);
      return enc?.status === 'in-progress' ? enc : undefined;
    });
    const ended = once(patient.socket, 'visitEnded');
    await host.socket.emitWithAck('end', {});
    await ended;
    host.socket.disconnect();
    patient.socket.disconnect();

    const enc = await waitFor('finished Encounter', async () => {
      const row = await hub.repo.current('Encounter', encounterIdFor(apt));
      const e = row === undefined ? undefined : (hub.repo.toResource(row) as VisitEncounter);
      return e?.status === 'finished' ? e : undefined;
    });
    assert.is(inProgress.participant.length, 2);
    assert.equal(enc.subject, { reference: 'Patient/demo-patient-1' });
    assert.equal(enc.appointment, [{ reference: `Appointment/${apt}` }]);
    assert.ok(enc.period?.start !== undefined && enc.period.end !== undefined);
    const refs = enc.participant.map(
      (p) => p.individual?.reference ?? p.extension?.[0]?.valueReference.reference,
    );
    assert.equal(refs, ['Practitioner/demo-clinician', 'Patient/demo-patient-1']);
    assert.ok(enc.participant.every((p) => p.period.end !== undefined));
    assert.equal(
      enc.statusHistory?.map((h) => h.status),
      ['planned', 'arrived', 'in-progress'],
    );

    const visits = await waitFor('ledger row', async () => {
      const day = new Date().toISOString().slice(0, 10);
      const rows = await hub.billing.ledger.listVisits('demo-patient-1', day, day);
      return rows.length > 0 ? rows : undefined;
    });
    assert.is(visits[0]?.visitId, apt);
    assert.is(visits[0]?.clinicianId, 'demo-clinician');
    assert.is(visits[0]?.patientLocation, 'home');
    assert.is(visits[0]?.newPatient, true);
    assert.is(visits[0]?.video, false, 'no media worker, so nobody sent video');

    const { rows } = await hub.t.db.query<{ action: string; patient_id: string | null }>(
      `select action, patient_id from audit.events where resource = $1 order by seq`,
      [`Appointment/${apt}`],
    );
    const actions = rows.map((r) => r.action);
    assert.ok(actions.includes('visit.join') && actions.includes('visit.admit'));
    assert.ok(actions.includes('visit.end'));
    assert.not.ok(actions.some((a) => a.startsWith('visit.visit.')));
    assert.ok(rows.every((r) => r.patient_id === 'demo-patient-1'));
  } finally {
    await hub.close();
  }
});

test.run();
