/**
 * Console fan-out: alerts raised by the rule engine reaching N nurse consoles on the hub's
 * socket.io `/console` namespace, beside bare socket.io (`io.emit`) broadcasting the very
 * same `AlertEvent` payloads to the same number of clients, in the same run.
 *
 * Ours: threshold-crossing SpO2 readings (each on a fresh patient) go to
 * `engine.handleObservations`; the engine evaluates `spo2-low` (set to `for 0`), writes the
 * alert and its event to the real PostgreSQL server (a scratch database) and emits it;
 * `attachConsole` pushes it to the unit's room. Every console is a nurse of that unit,
 * authenticated in the handshake, and has had its replay. The peer: a bare socket.io server
 * whose clients connect to the default namespace, and `io.emit('alert', event)`.
 *
 * Fan-out latency, the compared figure, runs from the engine's `alertEvent` (the moment the
 * console pushes; a listener registered before the console's) or from the `io.emit` call,
 * to each client's `alert` event; a delivery is one event at one client. For ours, the time
 * from handing the reading to the engine is printed too (rule evaluation and the alert's
 * commit included), with nothing to compare it to.
 *
 * Offered load, the same for both: N consoles (websocket transport, one connection each,
 * in this process, beside the server: both sides pay the clients' decoding); a paced phase
 * of 25 alerts/s in groups of 5 for 10 s, then a burst of 200 alerts handed over at once.
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

import {
  cleanupStack,
  loadAverage,
  machineLine,
  packageVersion,
  percentile,
  runCleanups,
} from './report.js';

const CONSOLES = Number(process.env.SD_BENCH_CONSOLES ?? 200);
const RATE = 25;
const PER_TICK = 5;
const PACED = 250;
const WARMUP = 25;
const BURST = 200;
const PHASE_TIMEOUT_MS = 60_000;
const TOKEN = 'bench-console-token';
const UNIT = 'ward-1';
const nurse: Principal = { sub: 'bench-nurse', role: 'nurse', units: [UNIT] };

if (!Number.isInteger(CONSOLES) || CONSOLES < 1) {
  throw new TypeError('"SD_BENCH_CONSOLES" must be a positive integer');
}

interface PhaseResult {
  /** Per delivery, ms from the push (`alertEvent` or `io.emit`), ascending. */
  fanout: number[];
  /** Per delivery, ms from handing the crossing over (ours only), ascending. */
  endToEnd: number[];
  /** Deliveries per second from the phase's first push to its last delivery. */
  rate: number;
}

/** One side of the comparison. */
interface Target {
  clients: Socket[];
  /** Hands crossings (patient ids) over; the target calls `pushed` as it emits each. */
  feed(patients: string[]): void;
}

/** The event each crossing causes (other rules, such as NEWS2, may raise alerts too). */
function isCrossing(e: AlertEvent): boolean {
  return e.kind === 'raised' && e.alert.ruleId === 'spo2-low';
}

type Stack = ReturnType<typeof cleanupStack>;

async function listen(stack: Stack): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  stack.add(() => io.close());

  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function connectClients(
  stack: Stack,
  url: string,
  ready: string,
  auth?: object,
): Promise<Socket[]> {
  const clients: Socket[] = [];
  stack.add(() => {
    for (const c of clients) {
      c.disconnect();
    }
  });
  for (let i = 0; i < CONSOLES; i++) {
    const c = connect(url, { auth, transports: ['websocket'], forceNew: true });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once(ready, () => resolve());
      c.once('connect_error', reject);
    });
  }

  return clients;
}

/** When each patient's crossing was handed over and pushed, shared with the targets. */
const handedAt = new Map<string, number>();
const pushedAt = new Map<string, number>();

/**
 * Runs one phase: `patients` handed over in groups of `perTick` every `tickMs`, until each
 * client has received one crossing per patient.
 */
async function drive(
  target: Target,
  patients: string[],
  perTick: number,
  tickMs: number,
): Promise<PhaseResult> {
  const fanout: number[] = [];
  const endToEnd: number[] = [];
  let firstPush = Infinity;
  let lastDelivery = 0;
  const wanted = new Set(patients);
  const seen = target.clients.map(() => new Set<string>());
  const expected = patients.length * target.clients.length;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const listeners = target.clients.map((c, i) => {
    const listener = (e: AlertEvent) => {
      const now = performance.now();
      const pushed = pushedAt.get(e.patientId);
      if (!isCrossing(e) || !wanted.has(e.patientId) || seen[i]?.has(e.patientId) !== false) {
        return;
      }
      if (pushed === undefined) {
        throw new Error(`a console got ${e.patientId} before it was pushed`);
      }
      seen[i]?.add(e.patientId);
      firstPush = Math.min(firstPush, pushed);
      lastDelivery = now;
      fanout.push(now - pushed);
      endToEnd.push(now - (handedAt.get(e.patientId) ?? NaN));
      if (fanout.length === expected) {
        done();
      }
    };
    c.on('alert', listener);

    return listener;
  });

  let next = 0;
  const tick = () => {
    const group = patients.slice(next, next + perTick);
    next += group.length;
    const now = performance.now();
    for (const p of group) {
      handedAt.set(p, now);
    }
    target.feed(group);
  };
  tick();
  const timer = setInterval(() => (next < patients.length ? tick() : clearInterval(timer)), tickMs);
  let timeout: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timeout = setTimeout(
          () => reject(new Error(`${fanout.length}/${expected} deliveries after timeout`)),
          PHASE_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timeout);
    clearInterval(timer);
    target.clients.forEach((c, i) => c.off('alert', listeners[i]));
  }
  const ms = lastDelivery - firstPush;

  return {
    fanout: fanout.sort((a, b) => a - b),
    endToEnd: endToEnd.sort((a, b) => a - b),
    rate: (expected * 1000) / ms,
  };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Runs every phase against `target`; the patient names are the same for both sides. */
async function phases(target: Target): Promise<{ paced: PhaseResult; burst: PhaseResult }> {
  const tickMs = (1000 * PER_TICK) / RATE;
  await drive(target, names('warm', WARMUP), PER_TICK, tickMs);
  const paced = await drive(target, names('paced', PACED), PER_TICK, tickMs);
  const burst = await drive(target, names('burst', BURST), BURST, 1000);

  return { paced, burst };
}

/** The engine side; returns the results and every crossing's event, for the peer. */
async function runHub() {
  const stack = cleanupStack();
  const scratch = await createScratchDatabase('sd_bench');
  stack.add(() => scratch.drop());
  const db = await openDatabase({ url: scratch.url });
  stack.add(() => db.close());
  const engine = await AlertEngine.open({ db, defaultUnit: UNIT });
  stack.add(() => engine.close());
  const { io, url } = await listen(stack);
  const rule = engine.currentRules().find((r) => r.id === 'spo2-low') as ThresholdRule;
  await engine.putRule({ ...rule, forMs: 0 }, 'bench');
  engine.start();
  const payloads = new Map<string, AlertEvent>();
  // Registered before the console's listener, so it runs just before the console pushes.
  engine.on('alertEvent', (e) => {
    if (isCrossing(e)) {
      pushedAt.set(e.patientId, performance.now());
      payloads.set(e.patientId, e);
    }
  });
  const consoleNs = await attachConsole(io, {
    engine,
    authenticate: (token) =>
      token === TOKEN ? Promise.resolve(nurse) : Promise.reject(new Error('bad token')),
  });
  stack.add(() => consoleNs.close());
  const clients = await connectClients(stack, `${url}/console`, 'ready', { token: TOKEN });
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
  let failure: unknown;
  const result = await phases({
    clients,
    feed: (patients) => {
      engine.handleObservations(patients.map(reading)).catch((error: unknown) => {
        failure ??= error;
      });
    },
  });
  if (failure !== undefined) {
    throw new Error('the engine failed a batch', { cause: failure });
  }
  // Closed before the peer runs, so its consoles and database cost the peer nothing.
  await stack.close();

  return { ...result, payloads };
}

/** The bare socket.io side: the same payloads, `io.emit` to every client. */
async function runBare(payloads: Map<string, AlertEvent>) {
  const stack = cleanupStack();
  const { io, url } = await listen(stack);
  io.on('connection', (s) => s.emit('ready'));
  const clients = await connectClients(stack, url, 'ready');

  const result = await phases({
    clients,
    feed: (patients) => {
      for (const p of patients) {
        const event = payloads.get(p);
        if (event === undefined) {
          throw new Error(`no recorded payload for ${p}`);
        }
        pushedAt.set(p, performance.now());
        io.emit('alert', event);
      }
    },
  });
  await stack.close();

  return result;
}

const fmt = (v: number) => v.toFixed(1).padStart(7);
const ratio = (a: number, b: number) => (a / b).toFixed(2);

function printPhase(label: string, o: PhaseResult, b: PhaseResult): void {
  console.log(`  ${label}:`);
  for (const p of [50, 99]) {
    const ol = percentile(o.fanout, p);
    const bl = percentile(b.fanout, p);
    console.log(
      `    p${p} fan-out: ours ${fmt(ol)} ms   bare socket.io ${fmt(bl)} ms   ` +
        `ratio ours/bare ${ratio(ol, bl)}`,
    );
  }
  console.log(
    `    deliveries/s: ours ${o.rate.toFixed(0)}   bare ${b.rate.toFixed(0)}   ` +
      `ratio ${ratio(o.rate, b.rate)}`,
  );
  const [e50, e99] = [50, 99].map((p) => percentile(o.endToEnd, p).toFixed(1));
  console.log(
    `    ours from reading to console (rules + alert commit + fan-out): ` +
      `p50 ${e50} ms, p99 ${e99} ms`,
  );
}

console.log(machineLine());
try {
  const hub = await runHub();
  const bare = await runBare(hub.payloads);
  const sio = await packageVersion('socket.io');
  const bytes = JSON.stringify(hub.payloads.values().next().value ?? {}).length;
  console.log(
    `# socket.io ${sio} (server and client), PostgreSQL scratch database, ${CONSOLES} ` +
      `consoles (websocket, in this process), event ≈ ${bytes} B of JSON`,
  );
  console.log('console fan-out: engine → /console room push vs bare socket.io io.emit:');
  printPhase(
    `paced ${RATE} alerts/s × ${CONSOLES} consoles (${PACED} alerts)`,
    hub.paced,
    bare.paced,
  );
  printPhase(`burst ${BURST} alerts at once × ${CONSOLES} consoles`, hub.burst, bare.burst);
  console.log(`  load average ${loadAverage()} at end`);
} finally {
  await runCleanups();
}
