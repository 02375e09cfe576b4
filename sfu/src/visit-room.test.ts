import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { types as ms } from 'mediasoup';
import { assertMayUnmute } from './participant.js';
import type { VisitTokenClaims } from './tokens.js';
import type { VisitMedia } from './visit-media.js';
import { VisitRoom, type VisitRoomOptions } from './visit-room.js';

// A stand-in media set: enough for the room's lifecycle calls, no mediasoup needed.
function fakeMedia(): VisitMedia & { closed: boolean } {
  const media = { closed: false, close: () => void (media.closed = true) };

  return media as unknown as VisitMedia & { closed: boolean };
}

function roomWith(media: VisitRoomOptions['media']): VisitRoom {
  return new VisitRoom({
    appointmentId: 'apt-1',
    media,
    send: () => undefined,
    emit: () => undefined,
    audit: () => undefined,
    onEnded: () => undefined,
    reconnectGraceMs: 1000,
    emptyTimeoutMs: 1000,
  });
}

test('concurrent first media requests create one media set', async () => {
  let created = 0;
  const room = roomWith(async () => {
    created += 1;
    await new Promise((r) => setImmediate(r));
    return fakeMedia();
  });

  const sets = await Promise.all([room.media(), room.media(), room.media()]);

  assert.is(created, 1);
  assert.is(new Set(sets).size, 1);
});

test('a failed media creation is retried by the next request', async () => {
  let calls = 0;
  const room = roomWith(() => {
    calls += 1;
    return calls === 1 ? Promise.reject(new Error('no worker')) : Promise.resolve(fakeMedia());
  });

  await room.media().then(
    () => assert.unreachable('first creation fails'),
    (e: Error) => assert.is(e.message, 'no worker'),
  );
  const media = await room.media();

  assert.is(calls, 2);
  assert.ok(media);
});

test('media created after the visit ended is closed, not leaked', async () => {
  const media = fakeMedia();
  let release: () => void = () => undefined;
  const room = roomWith(
    () =>
      new Promise((resolve) => {
        release = () => resolve(media);
      }),
  );

  const pending = room.media();
  room.end(null);
  release();

  await pending.then(
    () => assert.unreachable('the visit ended'),
    (e: { code?: string }) => assert.is(e.code, 'VISIT_ENDED'),
  );
  assert.ok(media.closed);
});

test('ending the visit closes its media set', async () => {
  const media = fakeMedia();
  const room = roomWith(() => Promise.resolve(media));
  await room.media();

  room.end(null);

  assert.ok(media.closed);
});

function claims(userId: string, role: VisitTokenClaims['role'], tokenId: string): VisitTokenClaims {
  return {
    appointmentId: 'apt-1',
    userId,
    role,
    displayName: userId,
    tokenId,
    expiresAt: Math.floor(Date.now() / 1000) + 300,
  };
}

// A producer stand-in with mediasoup's pause semantics.
function fakeProducer(kind: ms.MediaKind): ms.Producer {
  const producer = {
    id: `pr-${kind}`,
    kind,
    paused: false,
    pause: () => Promise.resolve(void (producer.paused = true)),
  };

  return producer as unknown as ms.Producer;
}

function callWithPatient(): { room: VisitRoom; hostId: string; patientId: string } {
  const room = roomWith(() => Promise.resolve(fakeMedia()));
  const host = room.join(claims('doc', 'host', 't-doc')).participant;
  const patient = room.join(claims('pat', 'patient', 't-pat')).participant;
  room.admit(host, patient.id);

  return { room, hostId: host.id, patientId: patient.id };
}

test('a host mute pauses the producer and keeps the patient from unmuting', async () => {
  const { room, hostId, patientId } = callWithPatient();
  const patient = room.get(patientId);
  const mic = fakeProducer('audio');
  patient.producers.set(mic.id, mic);

  await room.mute(room.get(hostId), patientId, 'audio');

  assert.ok(mic.paused);
  assert.throws(
    () => assertMayUnmute(patient, 'audio'),
    (e: { code?: string }) => e.code === 'MUTED_BY_HOST',
  );
  assertMayUnmute(patient, 'video');
});

test('a producer created after a host mute starts paused', async () => {
  const { room, hostId, patientId } = callWithPatient();
  await room.mute(room.get(hostId), patientId, 'audio');
  const mic = fakeProducer('audio');

  await room.enforceHostMute(room.get(patientId), mic);

  assert.ok(mic.paused);
});

test('once the host allows it, the patient may unmute', async () => {
  const { room, hostId, patientId } = callWithPatient();
  await room.mute(room.get(hostId), patientId, 'audio');

  room.allowUnmute(room.get(hostId), patientId, 'audio');

  assertMayUnmute(room.get(patientId), 'audio');
});

test('only the host may allow unmuting', async () => {
  const { room, hostId, patientId } = callWithPatient();
  await room.mute(room.get(hostId), patientId, 'audio');

  assert.throws(
    () => room.allowUnmute(room.get(patientId), patientId, 'audio'),
    (e: { code?: string }) => e.code === 'FORBIDDEN',
  );
});

test('a token id presented for one user is refused for another', () => {
  const room = roomWith(() => Promise.resolve(fakeMedia()));
  room.join(claims('doc', 'host', 'shared-jti'));

  assert.throws(
    () => room.join(claims('someone-else', 'patient', 'shared-jti')),
    (e: { code?: string }) => e.code === 'TOKEN_INVALID',
  );
});

test('a connected seat is not taken by another token of the same user', () => {
  const room = roomWith(() => Promise.resolve(fakeMedia()));
  const first = room.join(claims('pat', 'patient', 't-1')).participant;

  assert.throws(
    () => room.join(claims('pat', 'patient', 't-2')),
    (e: { code?: string }) => e.code === 'SEAT_TAKEN',
  );
  assert.is(room.join(claims('pat', 'patient', 't-1')).participant, first);
  room.disconnected(first);
  assert.is(room.join(claims('pat', 'patient', 't-3')).participant, first);
});

test('a lost worker resets the media of everyone whose router closed', () => {
  const sent: [string, string][] = [];
  const room = new VisitRoom({
    appointmentId: 'apt-1',
    media: () => Promise.resolve(fakeMedia()),
    send: (id, event) => void sent.push([id, event]),
    emit: () => undefined,
    audit: () => undefined,
    onEnded: () => undefined,
    reconnectGraceMs: 1000,
    emptyTimeoutMs: 1000,
  });
  const host = room.join(claims('doc', 'host', 't-doc')).participant;
  // The router already closed with its worker (and the media set already forgot it).
  host.router = { closed: true } as unknown as ms.Router;

  room.workerLost(0);

  assert.ok(sent.some(([id, event]) => id === host.id && event === 'mediaReset'));
  assert.is(host.router, undefined);
});

test.run();
