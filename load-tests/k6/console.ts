// Console websockets: many nurses' consoles speaking socket.io over k6's websocket (Engine.IO
// v4 and socket.io v5 framing by hand): the Engine.IO handshake `0{…}`, a connect to the
// `/console` namespace with the access token `40/console,{"token":…}`, the namespace's
// `40/console,{"sid":…}`, then `42/console,["alert",…]` events counted until the hold ends.
// A console the namespace refuses (`44/console,{…}`, e.g. a token without a console role)
// fails the checks and the thresholds.
// Run: k6 run -e HUB=http://hub -e TOKEN=<a nurse's access token> load-tests/k6/console.ts
// Add -e EXPECT_ALERTS=1 when the hub raises alerts during the run (e.g. the demo agent).
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import type { Options } from 'k6/options';

import { HUB, accessToken } from './common.ts';

const NAMESPACE = '/console';
const HOLD_MS = Number(__ENV.HOLD_MS ?? 60_000);

const alertsSeen = new Counter('console_alerts_received');
const joined = new Rate('console_namespace_joined');
const refused = new Counter('console_namespace_refused');

export const options: Options = {
  vus: 200,
  duration: '3m',
  thresholds: {
    ws_connecting: ['p(95)<500'],
    checks: ['rate>0.99'],
    console_namespace_joined: ['rate>0.99'],
    console_namespace_refused: ['count==0'],
    ...(__ENV.EXPECT_ALERTS === '1' ? { console_alerts_received: ['count>0'] } : {}),
  },
};

/** What one console saw on its socket. */
interface Session {
  handshake: boolean;
  sid: string | undefined;
  refusal: string | undefined;
  alerts: number;
}

export function setup(): { token: string } {
  return { token: accessToken() };
}

// One socket.io packet on the console namespace: `<type>/console,<json>`, or undefined.
function namespacePacket(msg: string): { type: string; payload: unknown } | undefined {
  const prefix = `${NAMESPACE},`;
  if (msg.length < 2 || msg[0] !== '4' || !msg.startsWith(prefix, 2)) {
    return undefined;
  }
  try {
    return { type: msg[1], payload: JSON.parse(msg.slice(2 + prefix.length)) as unknown };
  } catch {
    return { type: msg[1], payload: undefined };
  }
}

function onPacket(session: Session, msg: string, send: (m: string) => void, token: string): void {
  if (msg === '2') {
    send('3'); // Engine.IO ping → pong
    return;
  }
  if (msg[0] === '0') {
    const open = JSON.parse(msg.slice(1)) as { sid?: string };
    session.handshake = typeof open.sid === 'string';
    send(`40${NAMESPACE},${JSON.stringify({ token })}`);
    return;
  }
  const packet = namespacePacket(msg);
  if (packet === undefined) {
    return;
  }
  if (packet.type === '0') {
    const sid = (packet.payload as { sid?: unknown } | undefined)?.sid;
    session.sid = typeof sid === 'string' ? sid : undefined;
  } else if (packet.type === '4') {
    session.refusal = JSON.stringify(packet.payload);
  } else if (packet.type === '2') {
    const event = packet.payload as unknown[] | undefined;
    if (Array.isArray(event) && event[0] === 'alert') {
      session.alerts += 1;
      alertsSeen.add(1);
    }
  }
}

export default function (data: { token: string }): void {
  const url = `${HUB.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const session: Session = { handshake: false, sid: undefined, refusal: undefined, alerts: 0 };
  const res = ws.connect(url, {}, (socket) => {
    socket.on('message', (msg: string) => {
      onPacket(session, msg, (m) => socket.send(m), data.token);
      if (session.refusal !== undefined) {
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), HOLD_MS);
  });

  joined.add(session.sid !== undefined);
  if (session.refusal !== undefined) {
    refused.add(1);
  }
  check(res, { 'upgraded to websocket': (r) => r !== null && r.status === 101 });
  check(session, {
    'Engine.IO handshake (0{sid…})': (s) => s.handshake,
    'joined /console (40/console,{sid})': (s) => s.sid !== undefined,
    'not refused by /console (44/console)': (s) => s.refusal === undefined,
  });
}
