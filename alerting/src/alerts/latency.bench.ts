/**
 * Alert latency: from the engine receiving a threshold-crossing SpO2 reading to the nurse
 * console's `alert` event over socket.io, beside a relay that skips the rule engine and the
 * database and emits the same reading on the same socket.io path. Both run the same offered
 * load in the same process: 1,000 patients at 1 Hz in batches of 100 every 100 ms, plus 20
 * threshold crossings per second, each on a fresh patient. The engine runs on the real
 * PostgreSQL server (a scratch database) with `spo2-low` set to `for 0` so the latency is
 * the engine's, not the rule's 10 s window.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';

import type { Principal } from '../api/principal.js';
import { attachConsole } from '../console/console-namespace.js';
import { createScratchDatabase, openDatabase } from '../db/index.js';
import type { ThresholdRule } from '../rules/types.js';
import { AlertEngine } from './alert-engine.js';
import { spo2 } from './test-fixtures.js';
import type { AlertEvent } from './types.js';

const PATIENTS = 1000;
const CROSSINGS_PER_S = 20;
const SAMPLES = 400;
const WARMUP = 40;

const nurse: Principal = { sub: 'bench', role: 'nurse', units: ['ward-1'] };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

interface Path {
  /** Delivers one reading (or batch) the way the path does. */
  feed(values: Array<{ patient: string; value: number }>): Promise<void>;
}

/** Drives the offered load through `path` and returns per-crossing latencies in ms. */
async function drive(
  path: Path,
  onAlert: (cb: (patient: string) => void) => void,
): Promise<number[]> {
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  onAlert((patient) => {
    const t0 = sent.get(patient);
    if (t0 === undefined) {
      return;
    }
    sent.delete(patient);
    latencies.push(performance.now() - t0);
    if (latencies.length === SAMPLES + WARMUP) {
      done();
    }
  });

  let tick = 0;
  const background = setInterval(() => {
    const base = (tick++ % 10) * 100;
    const batch = Array.from({ length: PATIENTS / 10 }, (_, i) => ({
      patient: `bg-${base + i}`,
      value: 97,
    }));
    void path.feed(batch);
  }, 100);
  let n = 0;
  const crossings = setInterval(() => {
    if (n >= SAMPLES + WARMUP) {
      return;
    }
    const patient = `x-${n++}`;
    sent.set(patient, performance.now());
    void path.feed([{ patient, value: 85 }]);
  }, 1000 / CROSSINGS_PER_S);

  await finished;
  clearInterval(background);
  clearInterval(crossings);

  return latencies.slice(WARMUP).sort((a, b) => a - b);
}

async function socketPair() {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;

  return { io, url: (ns: string) => `http://127.0.0.1:${port}${ns}` };
}

async function runEngine(): Promise<number[]> {
  const scratch = await createScratchDatabase();
  const db = await openDatabase({ url: scratch.url });
  const engine = await AlertEngine.open({ db, defaultUnit: 'ward-1' });
  const rule = engine.currentRules().find((r) => r.id === 'spo2-low') as ThresholdRule;
  await engine.putRule({ ...rule, forMs: 0 }, 'bench');
  engine.start();
  const { io, url } = await socketPair();
  const consoleNs = await attachConsole(io, { engine, authenticate: () => Promise.resolve(nurse) });
  const client = connect(url('/console'), { auth: { token: 'x' }, transports: ['websocket'] });
  await new Promise((r) => client.once('ready', r));
  let at = Date.now();
  const path: Path = {
    feed: (values) =>
      engine.handleObservations(values.map((v) => spo2(v.patient, v.value, (at += 1)))),
  };
  const latencies = await drive(path, (cb) =>
    client.on('alert', (e: AlertEvent) => {
      if (e.kind === 'raised' && e.alert.ruleId === 'spo2-low') {
        cb(e.patientId);
      }
    }),
  );
  client.disconnect();
  consoleNs.close();
  await engine.close();
  await io.close();
  await db.close();
  await scratch.drop();

  return latencies;
}

async function runRelay(): Promise<number[]> {
  const { io, url } = await socketPair();
  const nsp = io.of('/relay');
  nsp.on('connection', (s) => void s.join('unit:ward-1'));
  const client = connect(url('/relay'), { transports: ['websocket'] });
  await new Promise<void>((r) => client.once('connect', () => r()));
  await new Promise((r) => setTimeout(r, 50));
  let at = Date.now();
  const path: Path = {
    feed: (values) => {
      for (const v of values) {
        const obs = spo2(v.patient, v.value, (at += 1));
        if ((obs.value ?? 100) < 90) {
          nsp.to('unit:ward-1').emit('alert', { patientId: obs.patient, observation: obs });
        }
      }

      return Promise.resolve();
    },
  };
  const latencies = await drive(path, (cb) =>
    client.on('alert', (e: { patientId: string }) => cb(e.patientId)),
  );
  client.disconnect();
  await io.close();

  return latencies;
}

const relay = await runRelay();
const ours = await runEngine();
const fmt = (v: number) => v.toFixed(2).padStart(8);
const load = `${PATIENTS} readings/s background + ${CROSSINGS_PER_S} crossings/s, ${SAMPLES} samples`;
console.log(`alert latency, engine → console (PostgreSQL), ${load}`);
for (const p of [50, 99]) {
  const o = percentile(ours, p);
  const r = percentile(relay, p);
  console.log(`  p${p}: ours ${fmt(o)} ms   relay ${fmt(r)} ms   ratio ${(o / r).toFixed(1)}×`);
}
