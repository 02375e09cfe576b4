// Visit signaling: joins to the SFU's socket.io `/visit` namespace with visit tokens the
// gateway mints (at the SFU node the token names), then one signaling call (`peers`) with an
// acknowledgement; measures the join and the call. The token's caller must be a participant of
// the Appointment, so run it with a clinician's or patient's token for a booked visit:
// k6 run -e HUB=https://hub -e TOKEN=… -e APPOINTMENT=<id> load-tests/k6/visit-signaling.ts
import http from 'k6/http';
import ws from 'k6/ws';
import { check, fail } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';

import { HUB, accessToken } from './common.ts';

const joinTime = new Trend('visit_join_ms', true);
const callTime = new Trend('visit_call_ms', true);
const refused = new Counter('visit_join_refused');

export const options: Options = {
  vus: 50,
  duration: '2m',
  thresholds: {
    visit_join_ms: ['p(95)<300'],
    visit_call_ms: ['p(95)<100'],
    visit_join_refused: ['count==0'],
    checks: ['rate>0.99'],
  },
};

export function setup(): { token: string; appointment: string } {
  const appointment = __ENV.APPOINTMENT;
  if (!appointment) {
    fail('set -e APPOINTMENT=<id of a booked Appointment the token may join>');
  }

  return { token: accessToken(), appointment };
}

export default function (data: { token: string; appointment: string }): void {
  const minted = http.post(`${HUB}/api/visits/${data.appointment}/token`, null, {
    headers: { Authorization: `Bearer ${data.token}` },
  });
  if (!check(minted, { 'visit token minted': (r) => r.status === 200 })) {
    return;
  }
  const visitToken = minted.json('token') as string;
  const signaling = (minted.json('signalingUrl') as string | undefined) ?? HUB;
  const url = `${signaling.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const started = Date.now();
  let joined = false;
  let answered = false;
  let callStarted = 0;
  ws.connect(url, {}, (socket) => {
    socket.on('message', (msg: string) => {
      // [Engine.IO v4: '0' open, '2' ping, '3' pong; Socket.IO v5: '40' connect, '44' error,
      // '42' event, '43' ack, with the namespace after the type and the ack id before the data]
      if (msg === '2') {
        socket.send('3');
      } else if (msg.startsWith('0')) {
        socket.send(`40/visit,${JSON.stringify({ token: visitToken })}`);
      } else if (msg.startsWith('44/visit')) {
        refused.add(1);
        socket.close();
      } else if (msg.startsWith('40/visit')) {
        joined = true;
        joinTime.add(Date.now() - started);
        callStarted = Date.now();
        socket.send('42/visit,1["peers",{}]');
      } else if (msg.startsWith('43/visit,1')) {
        answered = true;
        callTime.add(Date.now() - callStarted);
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 10_000);
  });
  check(null, { 'joined the visit': () => joined, 'signaling call answered': () => answered });
}
