// Visit signaling: joins to the SFU's socket.io `/visit` namespace with visit tokens the
// gateway mints, measuring how fast a join is answered.
// Run: k6 run -e HUB=http://hub -e TOKEN=… -e APPOINTMENT=… load-tests/k6/visit-signaling.ts
import http from 'k6/http';
import ws from 'k6/ws';
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import type { Options } from 'k6/options';

import { HUB, accessToken } from './common.ts';

const joinTime = new Trend('visit_join_ms', true);

export const options: Options = {
  vus: 50,
  duration: '2m',
  thresholds: { visit_join_ms: ['p(95)<300'], checks: ['rate>0.99'] },
};

export function setup(): { token: string } {
  return { token: accessToken() };
}

export default function (data: { token: string }): void {
  const minted = http.post(`${HUB}/api/visits/${__ENV.APPOINTMENT ?? 'loadtest'}/token`, null, {
    headers: { Authorization: `Bearer ${data.token}` },
  });
  if (!check(minted, { 'visit token minted': (r) => r.status === 200 })) {
    return;
  }
  const visitToken = minted.json('token') as string;
  const url = `${HUB.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const started = Date.now();
  ws.connect(url, {}, (socket) => {
    socket.on('message', (msg: string) => {
      if (msg.startsWith('0')) {
        socket.send(`40/visit,${JSON.stringify({ token: visitToken })}`);
      } else if (msg.startsWith('40/visit')) {
        joinTime.add(Date.now() - started);
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 10_000);
  });
}
