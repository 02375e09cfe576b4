import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSfuService, type SfuService } from './service.js';
import { createVisitTokenIssuer, type VisitRole } from './tokens.js';
import type { VisitAuditEvent, VisitEvent } from './visit-events.js';

// Media is made deterministically unavailable (empty build cache): these tests cover the
// signaling plane, which must work, and report media as unavailable, without a worker.
const cache = mkdtempSync(joinPath(tmpdir(), 'sd-sfu-'));
process.env.SPARKDEN_CACHE_DIR = cache;
delete process.env.MEDIASOUP_WORKER_BIN;

const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
let http: HttpServer;
let io: Server;
let sfu: SfuService;
let url = '';
let events: VisitEvent[] = [];
let audits: VisitAuditEvent[] = [];
const clients: Socket[] = [];

function token(apt: string, userId: string, role: VisitRole) {
  return issuer.issue({ appointmentId: apt, userId, role, displayName: `name-${userId}` });
}

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

async function join(apt: string, userId: string, role: VisitRole) {
  const socket = connect(`${url}/visit`, {
    auth: { token: await token(apt, userId, role) },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(socket);
  const welcome = await once<{
    participantId: string;
    resumeKey: string;
    state: string;
    media: { available: boolean; reason?: string };
  }>(socket, 'welcome');

  return { socket, welcome };
}

async function refused(auth: object): Promise<string> {
  const socket = connect(`${url}/visit`, { auth, transports: ['websocket'], reconnection: false });
  clients.push(socket);
  const err = await once<Error & { data?: { code: string } }>(socket, 'connect_error');

  return err.data?.code ?? 'none';
}

function request(socket: Socket, event: string, body: object = {}) {
  return socket.emitWithAck(event, body) as Promise<
    { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } }
  >;
}

test.before.each(async () => {
  events = [];
  audits = [];
  http = createServer();
  io = new Server(http);
  sfu = createSfuService({
    tokenKey: secret,
    onVisitEvent: (e) => void events.push(e),
    audit: (e) => void audits.push(e),
    reconnectGraceMs: 300,
  });
  await sfu.start();
  sfu.attach(io);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

test.after.each(async () => {
  for (const c of clients.splice(0)) {
    c.disconnect();
  }
  await sfu.stop();
  await io.close();
});

test.after(() => rmSync(cache, { recursive: true, force: true }));

test('without a built worker the SFU starts and says exactly why video is unavailable', async () => {
  const status = sfu.status();
  assert.is(status.media.available, false);
  assert.match(
    status.media.reason!,
    /video visits unavailable: mediasoup worker not built \(run bash sfu\/scripts\/build-worker\.sh/,
  );

  const { socket, welcome } = await join('apt-m', 'doc', 'host');
  assert.is(welcome.media.available, false);
  const res = await request(socket, 'getRouterRtpCapabilities');
  assert.equal(res.ok ? null : res.error.code, 'MEDIA_UNAVAILABLE');
});

test('patient waits in the lobby, host sees them, admits, and both are in the call', async () => {
  const host = await join('apt-1', 'doc', 'host');
  assert.is(host.welcome.state, 'in-call');
  const lobbyUpdate = once<{ waiting: { participantId: string; displayName: string }[] }>(
    host.socket,
    'lobby',
  );
  const patient = await join('apt-1', 'pat', 'patient');
  assert.is(patient.welcome.state, 'lobby');
  const waiting = (await lobbyUpdate).waiting;
  assert.equal(
    waiting.map((w) => w.displayName),
    ['name-pat'],
  );

  const early = await request(patient.socket, 'peers');
  assert.equal(early.ok ? null : early.error.code, 'NOT_ADMITTED');

  const admitted = once(patient.socket, 'admitted');
  const peerJoined = once<{ participantId: string }>(host.socket, 'peerJoined');
  const res = await request(host.socket, 'admit', { participantId: waiting[0].participantId });
  assert.ok(res.ok);
  await admitted;
  assert.is((await peerJoined).participantId, patient.welcome.participantId);

  const peers = await request(patient.socket, 'peers');
  assert.ok(peers.ok);
  assert.equal(
    (peers.data as { role: string }[]).map((p) => p.role),
    ['host'],
  );
  assert.equal(
    events.map((e) => `${e.type}:${'userId' in e ? e.userId : ''}`),
    ['joined:doc', 'admitted:pat', 'joined:pat'],
  );
  assert.ok(audits.some((a) => a.action === 'visit.admit' && a.subjectUserId === 'pat'));
});

test('only the host may admit, mute, kick or end; refusals are audited', async () => {
  await join('apt-2', 'doc', 'host');
  const patient = await join('apt-2', 'pat', 'patient');
  const guest = await join('apt-2', 'gst', 'guest');

  for (const [event, body] of [
    ['admit', { participantId: guest.welcome.participantId }],
    ['kick', { participantId: guest.welcome.participantId }],
    ['mute', { participantId: guest.welcome.participantId, kind: 'audio' }],
    ['end', {}],
  ] as const) {
    const res = await request(patient.socket, event, body);
    assert.equal(res.ok ? 'ok' : res.error.code, 'FORBIDDEN', event);
  }
  assert.is(audits.filter((a) => a.outcome === 'denied' && a.actorUserId === 'pat').length, 4);
});

test('a dropped participant resumes with the same seat and no leave is recorded', async () => {
  const host = await join('apt-3', 'doc', 'host');
  const patient = await join('apt-3', 'pat', 'patient');
  await request(host.socket, 'admit', { participantId: patient.welcome.participantId });
  patient.socket.disconnect();
  await new Promise((r) => setTimeout(r, 50));

  const back = connect(`${url}/visit`, {
    auth: {
      resume: {
        appointmentId: 'apt-3',
        participantId: patient.welcome.participantId,
        key: patient.welcome.resumeKey,
      },
    },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(back);
  const welcome = await once<{ participantId: string; state: string }>(back, 'welcome');

  assert.is(welcome.participantId, patient.welcome.participantId);
  assert.is(welcome.state, 'in-call');
  await new Promise((r) => setTimeout(r, 400));
  assert.not.ok(events.some((e) => e.type === 'left'));
  assert.is(
    await refused({
      resume: {
        appointmentId: 'apt-3',
        participantId: patient.welcome.participantId,
        key: 'forged',
      },
    }),
    'TOKEN_INVALID',
  );
});

test('a participant gone past the grace period has left (reason disconnect)', async () => {
  const host = await join('apt-4', 'doc', 'host');
  const patient = await join('apt-4', 'pat', 'patient');
  await request(host.socket, 'admit', { participantId: patient.welcome.participantId });
  const peerLeft = once(host.socket, 'peerLeft');
  patient.socket.disconnect();

  await peerLeft;
  const left = events.find((e) => e.type === 'left');
  assert.equal(left && left.type === 'left' ? [left.userId, left.reason] : null, [
    'pat',
    'disconnect',
  ]);
});

test('a returning admitted patient skips the lobby; a kicked one cannot return', async () => {
  const host = await join('apt-5', 'doc', 'host');
  const guest = await join('apt-5', 'gst', 'guest');
  await request(host.socket, 'admit', { participantId: guest.welcome.participantId });
  guest.socket.disconnect();
  await new Promise((r) => setTimeout(r, 400));

  const again = await join('apt-5', 'gst', 'guest');
  assert.is(again.welcome.state, 'in-call');

  const kicked = once(again.socket, 'kicked');
  const res = await request(host.socket, 'kick', { participantId: again.welcome.participantId });
  assert.ok(res.ok);
  await kicked;
  assert.is(await refused({ token: await token('apt-5', 'gst', 'guest') }), 'KICKED');
  assert.ok(audits.some((a) => a.action === 'visit.kick' && a.subjectUserId === 'gst'));
});

test('host ends the visit: everyone is told, events carry duration, nobody can rejoin', async () => {
  const host = await join('apt-6', 'doc', 'host');
  const patient = await join('apt-6', 'pat', 'patient');
  await request(host.socket, 'admit', { participantId: patient.welcome.participantId });
  await new Promise((r) => setTimeout(r, 1100));
  const ended = once(patient.socket, 'visitEnded');

  assert.ok((await request(host.socket, 'end')).ok);
  await ended;

  const types = events.map((e) => e.type);
  assert.equal(types.slice(-4), ['left', 'left', 'ended', 'duration']);
  const end = events.find((e) => e.type === 'ended');
  const duration = events.find((e) => e.type === 'duration');
  assert.ok(end?.type === 'ended' && end.durationSeconds >= 1);
  assert.ok(duration?.type === 'duration' && duration.interactiveSeconds >= 1);
  assert.ok(audits.some((a) => a.action === 'visit.end' && a.actorUserId === 'doc'));
  assert.is(await refused({ token: await token('apt-6', 'pat', 'patient') }), 'VISIT_ENDED');
});

test('a second device of the same user cannot take over a live seat', async () => {
  const first = await join('apt-8', 'pat', 'patient');

  const code = await refused({ token: await token('apt-8', 'pat', 'patient') });

  assert.is(code, 'SEAT_TAKEN');
  assert.ok(first.socket.connected, 'the seat holder keeps its connection');
  assert.ok(
    audits.some(
      (a) => a.action === 'visit.join' && a.outcome === 'denied' && a.reason === 'SEAT_TAKEN',
    ),
  );
});

test('the same token takes its own seat again; a dropped seat is retaken with a new token', async () => {
  const host = await join('apt-9', 'doc', 'host');
  const sameToken = await token('apt-9', 'pat', 'patient');
  const first = connect(`${url}/visit`, {
    auth: { token: sameToken },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(first);
  const w1 = await once<{ participantId: string }>(first, 'welcome');
  const again = connect(`${url}/visit`, {
    auth: { token: sameToken },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(again);
  const w2 = await once<{ participantId: string }>(again, 'welcome');
  assert.is(w2.participantId, w1.participantId);

  // The server has seen the drop when the host's lobby list empties.
  const emptied = new Promise<void>((resolve) =>
    host.socket.on('lobby', (m: { waiting: unknown[] }) => {
      if (m.waiting.length === 0) {
        resolve();
      }
    }),
  );
  again.disconnect();
  await emptied;
  const fresh = await join('apt-9', 'pat', 'patient');

  assert.is(fresh.welcome.participantId, w1.participantId);
});

test('forged or missing tokens are refused at the handshake', async () => {
  const forged = await createVisitTokenIssuer(randomBytes(32)).issue({
    appointmentId: 'apt-7',
    userId: 'x',
    role: 'host',
    displayName: 'x',
  });
  assert.is(await refused({ token: forged }), 'TOKEN_INVALID');
  assert.is(await refused({}), 'TOKEN_INVALID');
});

test.run();
