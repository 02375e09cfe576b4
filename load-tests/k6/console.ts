// Console websockets: many nurses' consoles connected through socket.io's websocket
// transport (Engine.IO v4 framing by hand), each receiving alerts.
// Run: k6 run -e HUB=http://hub -e TOKEN=… load-tests/k6/console.ts
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import type { Options } from 'k6/options';

import { HUB, accessToken } from './common.ts';

const alertsSeen = new Counter('console_alerts_received');

export const options: Options = {
  vus: 200,
  duration: '3m',
  thresholds: {
    ws_connecting: ['p(95)<500'],
    checks: ['rate>0.99'],
  },
};

export function setup(): { token: string } {
  return { token: accessToken() };
}

export default function (data: { token: string }): void {
  const url = `${HUB.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const res = ws.connect(url, {}, (socket) => {
    socket.on('message', (msg: string) => {
      if (msg === '2') {
        socket.send('3'); // Engine.IO ping → pong
      } else if (msg.startsWith('0')) {
        socket.send(`40/console,${JSON.stringify({ token: data.token })}`);
      } else if (msg.startsWith('42/console,')) {
        alertsSeen.add(1);
      }
    });
    socket.setTimeout(() => socket.close(), 60_000);
  });
  check(res, { 'upgraded to websocket': (r) => r !== null && r.status === 101 });
}
