/**
 * Visits carried by a standalone SFU node reach the hubs' records: the node's signaling drives
 * a real visit, its events travel through a Redis Stream, a hub consumer group records them
 * once on real PostgreSQL (Encounter, minutes ledger, audit), also after a redelivery or a
 * crashed consumer.
 */
import {
  createVisitTokenIssuer,
  startSfuNode,
  VisitEventPublisher,
  visitEventStream,
  type RelayedVisitEvent,
  type SfuNode,
  type VisitRole,
} from '@sparkden/sfu';
import { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startVisitTestHub, type VisitTestHub } from '../testing/visit-hub.js';
import { encounterIdFor } from './visit-encounter.js';
import { createVisitRecorder } from './visit-records.js';
import { startVisitEventRelay } from './visit-relay.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
const silent = pino({ level: 'silent' });
const hubPrefix = `sd:test:${randomUUID()}:`;
const prefixes = [hubPrefix];
let hub: VisitTestHub;
let clock = Date.parse('2026-07-06T09:00:00Z');
const nodes: SfuNode[] = [];
const sockets: Socket[] = [];

async function startNode(prefix: string): Promise<SfuNode> {
  const node = await startSfuNode({
    tokenKey: secret,
    port: 0,
    media: { workerBin: '/nonexistent/mediasoup-worker' },
    cluster: { redisUrl: REDIS_URL, publicUrl: 'http://127.0.0.1:1', nodeId: 'sfu-2', prefix },
    now: () => clock,
  });
  nodes.push(node);

  return node;
}

async function join(node: SfuNode, apt: string, userId: string, role: VisitRole, ref: string) {
  const token = await issuer.issue({
    appointmentId: apt,
    userId,
    role,
    displayName: 'someone',
    actorRef: ref,
  });
  const socket = connect(`http://127.0.0.1:${node.port}/visit`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  sockets.push(socket);
  const welcome = await new Promise<{ participantId: string }>((ok) => socket.once('welcome', ok));

  return { socket, welcome };
}

// A 12-minute call between the clinician and the patient, driven through the node's signaling.
async function holdVisit(node: SfuNode, apt: string): Promise<void> {
  const host = await join(node, apt, 'u-doc', 'host', 'Practitioner/demo-clinician');
  const patient = await join(node, apt, 'u-pat', 'patient', 'Patient/demo-patient-1');
  const admitted = new Promise((ok) => patient.socket.once('admitted', ok));
  await host.socket.emitWithAck('admit', { participantId: patient.welcome.participantId });
  await admitted;
  clock += 12 * 60_000;
  await patient.socket.emitWithAck('hangup', {});
  clock += 60_000;
  await host.socket.emitWithAck('end', {});
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function pending(prefix: string): Promise<number> {
  const summary = (await redis.xpending(visitEventStream(prefix), 'hubs')) as [number];

  return Number(summary[0]);
}

function countingRecorder(counts: Map<string, number>) {
  const record = createVisitRecorder({
    repo: hub.repo,
    ledger: hub.billing.ledger,
    logger: silent,
  });

  return {
    record: async (event: Parameters<typeof record>[0]) => {
      await record(event);
      const key = JSON.stringify(event);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    audit: (event: object) => {
      const key = JSON.stringify(event);
      counts.set(key, (counts.get(key) ?? 0) + 1);

      return Promise.resolve();
    },
  };
}

test.before(async () => {
  await redis.connect();
  hub = await startVisitTestHub({
    redisUrl: REDIS_URL,
    placementPrefix: hubPrefix,
    media: { workerBin: '/nonexistent/mediasoup-worker' },
  });
});

test.after.each(async () => {
  for (const s of sockets.splice(0)) {
    s.disconnect();
  }
  for (const n of nodes.splice(0)) {
    await n.stop();
  }
});

test.after(async () => {
  await hub.close();
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  }
  redis.disconnect();
});

test('a visit on a standalone node gets its Encounter, ledger minutes and audit at the hub', async () => {
  const node = await startNode(hubPrefix);
  const apt = await hub.book();

  await holdVisit(node, apt);

  const enc = await until('the finished Encounter', async () => {
    const row = await hub.repo.current('Encounter', encounterIdFor(apt));
    const resource = row === undefined ? undefined : hub.repo.toResource(row);

    return resource?.status === 'finished' ? resource : undefined;
  });
  const refs = (enc.participant as { individual?: { reference?: string } }[]).map(
    (p) => p.individual?.reference ?? 'patient',
  );
  assert.equal(refs.sort(), ['Practitioner/demo-clinician', 'patient']);
  const [row] = await until('the ledger row', async () => {
    const rows = await hub.billing.ledger.listVisits('demo-patient-1', '2026-07-06', '2026-07-06');

    return rows.length > 0 ? rows : undefined;
  });
  assert.is(row?.visitId, apt);
  assert.is(row?.durationMinutes, 12);
  assert.is(row?.clinicianId, 'demo-clinician');
  await until('every entry acknowledged', async () =>
    (await pending(hubPrefix)) === 0 ? true : undefined,
  );
  const { rows: audits } = await hub.t.db.query<{ action: string }>(
    `select action from audit.events where resource = $1 order by seq`,
    [`Appointment/${apt}`],
  );
  const actions = new Set(audits.map((a) => a.action));
  for (const action of ['visit.join', 'visit.admit', 'visit.leave', 'visit.end']) {
    assert.ok(actions.has(action), `${action} is in the audit trail`);
  }
});

test('two hubs in one group record each event exactly once', async () => {
  const prefix = `sd:test:${randomUUID()}:`;
  prefixes.push(prefix);
  const counts = new Map<string, number>();
  const one = await startVisitEventRelay({
    redis,
    prefix,
    consumer: 'hub-a',
    ...countingRecorder(counts),
    logger: silent,
  });
  const two = await startVisitEventRelay({
    redis,
    prefix,
    consumer: 'hub-b',
    ...countingRecorder(counts),
    logger: silent,
  });
  const node = await startNode(prefix);
  const apt = await hub.book();

  await holdVisit(node, apt);
  const entries = Number(await redis.xlen(visitEventStream(prefix)));
  await until('every entry recorded', async () => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);

    return total >= entries && (await pending(prefix)) === 0 ? true : undefined;
  });
  await one.stop();
  await two.stop();

  assert.ok(entries >= 7, `a whole visit is in the stream (${entries} entries)`);
  assert.equal([...new Set(counts.values())], [1]);
  assert.is(counts.size, entries);
});

test('a redelivered event id is not applied again; a crashed hub’s entry is claimed', async () => {
  const prefix = `sd:test:${randomUUID()}:`;
  prefixes.push(prefix);
  const stream = visitEventStream(prefix);
  const publisher = new VisitEventPublisher({ redis, prefix, nodeId: 'sfu-x' });
  const apt = await hub.book();
  const at = '2026-08-03T09:00:00.000Z';
  const joined: RelayedVisitEvent = {
    kind: 'visit',
    event: { type: 'joined', appointmentId: apt, userId: 'u-doc', role: 'host', at },
  };
  await redis.xgroup('CREATE', stream, 'hubs', '0', 'MKSTREAM');
  await publisher.publish(joined, 'event-1');
  // A hub that read the entry and died before acknowledging it.
  await redis.xreadgroup('GROUP', 'hubs', 'crashed-hub', 'COUNT', 10, 'STREAMS', stream, '>');
  await publisher.publish(joined, 'event-1');
  const counts = new Map<string, number>();

  const relay = await startVisitEventRelay({
    redis,
    prefix,
    consumer: 'hub-c',
    ...countingRecorder(counts),
    claimIdleMs: 200,
    logger: silent,
  });
  await until('both entries settled', async () =>
    (await pending(prefix)) === 0 && counts.size > 0 ? true : undefined,
  );
  await relay.stop();

  assert.equal([...counts.values()], [1]);
  const enc = await hub.repo.read('Encounter', encounterIdFor(apt));
  assert.is((enc.participant as unknown[]).length, 1);
});

test.run();
