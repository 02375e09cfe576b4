/**
 * Console fan-out: alerts raised by the rule engine reaching N nurse consoles on the hub's
 * socket.io `/console` namespace, beside a bare socket.io server broadcasting the very same
 * `AlertEvent` payloads to the same number of clients in one room, in the same run.
 *
 * Ours: threshold-crossing SpO2 readings (each on a fresh patient) go to
 * `engine.handleObservations`; the engine evaluates `spo2-low` (set to `for 0`, so the
 * latency is the engine's and not the rule's window), writes the alert and its event to the
 * real PostgreSQL server (a scratch database), and `attachConsole` emits the event to the
 * unit's room. Every console is a nurse covering that unit, authenticated in the handshake.
 * Latency is from handing the reading to the engine (peer: from the `emit` call) to each
 * console's `alert` event; a delivery is one event at one console.
 *
 * Offered load, the same for both: 200 consoles (websocket transport, one connection each,
 * in this process); a paced phase of 25 crossings/s for 10 s (5,000 deliveries/s offered)
 * for latency, then a burst of 200 crossings handed over at once for peak deliveries/s.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  AlertEngine,
  attachConsole,
  createScratchDatabase,
  openDatabase,
  type AlertEvent,
  type Principal,
  type ThresholdRule,
} from '@sparkden/alerting';
import { createObservation, type Observation } from '@sparkden/protocol';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';

import { packageVersion } from './hub-load.js';

const CONSOLES = 200;
const RATE = 25;
const PACED = 250;
const WARMUP = 25;
const BURST = 200;
const TOKEN = 'bench-console-token';
const UNIT = 'ward-1';
const nurse: Principal = { sub: 'bench-nurse', role: 'nurse', units: [UNIT] };

interface PhaseResult {
  /** Sorted per-delivery latencies, ms. */
  latencies: number[];
  /** Deliveries per second from the first hand-over to the last delivery. */
  rate: number;
}

/** Sends `crossings` (patient ids) through `feed` and waits for every delivery. */
interface Target {
  clients: Socket[];
  /** Hands the crossings over (all at once) and records their start times. */
  feed(patients: string[]): void;
}

/** The event each crossing causes (other rules, such as NEWS2, may raise alerts too). */
function isCrossing(e: AlertEvent): boolean {
  return e.kind === 'raised' && e.alert.ruleId === 'spo2-low';
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function listen(): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));

  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function connectClients(url: string, ready: string, auth?: object): Promise<Socket[]> {
  const clients: Socket[] = [];
  for (let i = 0; i < CONSOLES; i++) {
    const c = connect(url, { auth, transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      c.once(ready, () => resolve());
      c.once('connect_error', reject);
    });
    clients.push(c);
  }

  return clients;
}

/**
 * Runs one phase: `patients` handed over in groups of `perTick` every `tickMs`, until each
 * of the target's clients has received one `raised` event per patient.
 */
async function drive(
  target: Target,
  patients: string[],
  perTick: number,
  tickMs: number,
): Promise<PhaseResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const expected = patients.length * target.clients.length;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const onAlert = (e: AlertEvent) => {
    const t0 = isCrossing(e) ? sentAt.get(e.patientId) : undefined;
    if (t0 === undefined) {
      return;
    }
    latencies.push(performance.now() - t0);
    if (latencies.length === expected) {
      done();
    }
  };
  for (const c of target.clients) {
    c.on('alert', onAlert);
  }

  const started = performance.now();
  let next = 0;
  const tick = () => {
    const group = patients.slice(next, next + perTick);
    next += group.length;
    const now = performance.now();
    for (const p of group) {
      sentAt.set(p, now);
    }
    target.feed(group);
  };
  tick();
  const timer = setInterval(() => {
    if (next >= patients.length) {
      clearInterval(timer);

      return;
    }
    tick();
  }, tickMs);
  await finished;
  const ms = performance.now() - started;
  clearInterval(timer);
  for (const c of target.clients) {
    c.off('alert', onAlert);
  }

  return { latencies: latencies.sort((a, b) => a - b), rate: (expected * 1000) / ms };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Runs every phase against `target`; `patients` are the crossing patients, in order. */
async function phases(target: Target): Promise<{ paced: PhaseResult; burst: PhaseResult }> {
  const perTick = 5;
  const tickMs = (1000 * perTick) / RATE;
  await drive(target, names('warm', WARMUP), perTick, tickMs);
  const paced = await drive(target, names('paced', PACED), perTick, tickMs);
  const burst = await drive(target, names('burst', BURST), BURST, 1000);

  return { paced, burst };
}

/** The engine side; returns the results and every event payload the consoles saw. */
async function runHub(): Promise<{
  paced: PhaseResult;
  burst: PhaseResult;
  payloads: Map<string, AlertEvent>;
}> {
  const scratch = await createScratchDatabase('sd_bench');
  const db = await openDatabase({ url: scratch.url });
  const engine = await AlertEngine.open({ db, defaultUnit: UNIT });
  const { io, url } = await listen();
  try {
    const rule = engine.currentRules().find((r) => r.id === 'spo2-low') as ThresholdRule;
    await engine.putRule({ ...rule, forMs: 0 }, 'bench');
    engine.start();
    const consoleNs = await attachConsole(io, {
      engine,
      authenticate: (token) =>
        token === TOKEN ? Promise.resolve(nurse) : Promise.reject(new Error('bad token')),
    });
    const clients = await connectClients(`${url}/console`, 'ready', { token: TOKEN });
    const payloads = new Map<string, AlertEvent>();
    clients[0]?.on('alert', (e: AlertEvent) => {
      if (isCrossing(e)) {
        payloads.set(e.patientId, e);
      }
    });
    let at = Date.now();
    const reading = (patient: string): Observation =>
      createObservation({
        patient,
        device: { id: `ox-${patient}`, transport: 'simulated' },
        code: 'spo2',
        value: 85,
        effectiveAt: new Date((at += 1)),
        receivedAt: new Date(at),
      });
    const result = await phases({
      clients,
      feed: (patients) => {
        engine.handleObservations(patients.map(reading)).catch((error: unknown) => {
          console.error('engine failed', error);
          process.exitCode = 1;
        });
      },
    });
    for (const c of clients) {
      c.disconnect();
    }
    consoleNs.close();

    return { ...result, payloads };
  } finally {
    await engine.close();
    await io.close();
    await db.close();
    await scratch.drop();
  }
}

/** The bare socket.io side: the same payloads, emitted to one room holding every client. */
async function runBare(
  payloads: Map<string, AlertEvent>,
): Promise<{ paced: PhaseResult; burst: PhaseResult }> {
  const { io, url } = await listen();
  const nsp = io.of('/bare');
  nsp.on('connection', (s) => {
    void Promise.resolve(s.join(`unit:${UNIT}`)).then(() => s.emit('ready'));
  });
  try {
    const clients = await connectClients(`${url}/bare`, 'ready');
    const result = await phases({
      clients,
      feed: (patients) => {
        for (const p of patients) {
          const event = payloads.get(p);
          if (event === undefined) {
            throw new Error(`no recorded payload for ${p}`);
          }
          nsp.to(`unit:${UNIT}`).emit('alert', event);
        }
      },
    });
    for (const c of clients) {
      c.disconnect();
    }

    return result;
  } finally {
    await io.close();
  }
}

const hub = await runHub();
const bare = await runBare(hub.payloads);
const sio = await packageVersion('socket.io');
const bytes = JSON.stringify(hub.payloads.values().next().value ?? {}).length;
console.log(
  `# socket.io ${sio}, PostgreSQL scratch database, ${CONSOLES} consoles (websocket), ` +
    `event ≈ ${bytes} B of JSON`,
);
const fmt = (v: number) => v.toFixed(1).padStart(7);
const line = (label: string, o: PhaseResult, b: PhaseResult) => {
  console.log(
    `  ${label}: ours ${o.rate.toFixed(0)} deliveries/s, bare socket.io ${b.rate.toFixed(0)} ` +
      `deliveries/s, ratio ${(o.rate / b.rate).toFixed(2)}`,
  );
  for (const p of [50, 99]) {
    const ol = percentile(o.latencies, p);
    const bl = percentile(b.latencies, p);
    console.log(
      `    p${p} delivery latency: ours ${fmt(ol)} ms   bare ${fmt(bl)} ms   ratio ${(ol / bl).toFixed(1)}×`,
    );
  }
};
console.log(
  `console fan-out, engine (spo2-low, for 0) → /console vs bare socket.io room broadcast:`,
);
line(`paced ${RATE} alerts/s × ${CONSOLES} (${PACED} alerts)`, hub.paced, bare.paced);
line(`burst ${BURST} alerts at once × ${CONSOLES}`, hub.burst, bare.burst);
