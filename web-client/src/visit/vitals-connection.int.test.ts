/**
 * The live-vitals panel's connection against the real feed (the SFU package's
 * `attachVitalsFeed` on a socket.io server): visit tokens live minutes, so a reconnect made
 * after the held token expired asks for a fresh one instead of dying.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { attachVitalsFeed, createVisitTokenIssuer, type VitalsSink } from '@sparkden/sfu';
import { SignJWT } from 'jose';
import { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { connectVitalsFeed, VITALS_NAMESPACE, type VitalsStatus } from './vitals-connection.js';

const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
const http = createServer();
const io = new Server(http);
let url = '';
let subscriptions = 0;
const sockets: Socket[] = [];

attachVitalsFeed(io, {
  tokenKey: secret,
  source: {
    subscribe(patientRef, sink: VitalsSink) {
      subscriptions += 1;
      sink.snapshot({ patientRef, readings: [], alerts: [], at: new Date().toISOString() });
      return () => undefined;
    },
  },
});

const freshToken = () =>
  issuer.issue({
    appointmentId: 'apt-1',
    userId: 'clin-1',
    role: 'host',
    displayName: 'Dr Demo',
    patientRef: 'Patient/p-1',
  });

// A token as the gateway issues it, whose five minutes ran out an hour ago.
const expiredToken = () =>
  new SignJWT({ apt: 'apt-1', role: 'host', name: 'Dr Demo', pat: 'Patient/p-1' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('sparkden-gateway')
    .setAudience('sparkden-sfu:visit')
    .setSubject('clin-1')
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3900)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(secret);

function watch(token: string | (() => Promise<string>)) {
  const seen = { statuses: [] as VitalsStatus[], snapshots: 0 };
  let notify = () => undefined as void;
  const changed = () => new Promise<void>((resolve) => (notify = resolve));
  const socket = connectVitalsFeed(
    { url, token },
    {
      status: (s) => {
        seen.statuses.push(s);
        notify();
      },
      snapshot: () => {
        seen.snapshots += 1;
        notify();
      },
    },
  );
  sockets.push(socket);

  return { seen, socket, changed };
}

async function until(changed: () => Promise<void>, done: () => boolean): Promise<void> {
  while (!done()) {
    await changed();
  }
}

test.before(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

test.after(async () => {
  for (const s of sockets) {
    s.disconnect();
  }
  await io.close();
});

test('a reconnect with an expired token fetches a fresh one and the panel stays live', async () => {
  const issued: string[] = [];
  // The held token has expired by the time of the (re)connect; the source then asks the hub.
  const tokens = async () => {
    const token = issued.length === 0 ? await expiredToken() : await freshToken();
    issued.push(token);
    return token;
  };
  const { seen, changed } = watch(tokens);

  await until(changed, () => seen.snapshots === 1);
  assert.is(issued.length, 2, 'the expired token was replaced by a fresh one');

  // The connection drops (network change); the reconnect presents a token again.
  for (const s of io.of(VITALS_NAMESPACE).sockets.values()) {
    s.conn.close();
  }
  await until(changed, () => seen.snapshots === 2);

  assert.is(issued.length, 3);
  assert.equal(seen.statuses.slice(-2), ['reconnecting', 'live']);
});

test('a fixed token that expired leaves the panel unavailable (nothing to refresh)', async () => {
  const before = subscriptions;
  const { seen, changed } = watch(await expiredToken());

  await until(changed, () => seen.statuses.includes('unavailable'));

  assert.is(seen.snapshots, 0);
  assert.is(subscriptions, before, 'the feed never read the patient vitals');
});

test.run();
