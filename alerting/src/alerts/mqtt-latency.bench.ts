/**
 * Alert latency from the MQTT publish of a threshold-crossing SpO2 reading (sealed, QoS 1,
 * mutual TLS) to the nurse console's `alert` event, through the whole hub: broker, unseal,
 * commit to the vitals store, rule engine, alert write, socket.io `/console`. The peer runs
 * the same hub with the rule engine replaced by a relay that emits each committed crossing
 * reading on a socket.io room (same MQTT, ingest, commit and socket.io path; no rules, no
 * alert write). Offered load, the same for both: 200 readings/s (200 patients at 1 Hz, ten
 * sealed batches of 20 per second) plus 5 crossings/s, each a one-reading batch on a fresh
 * patient: about 15 sealed frames a second, each committed before its ack. PostgreSQL is the real server; `spo2-low` is set to `for 0`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { agentTopic, sealJson, type Observation } from '@sparkden/protocol';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';

import { attachConsole } from '../console/console-namespace.js';
import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent } from '../fleet/index.js';
import type { CommittedSink } from '../ingest/index.js';
import type { ThresholdRule } from '../rules/types.js';
import { createAlertingService } from '../service.js';
import { spo2 } from './test-fixtures.js';
import type { AlertEvent } from './types.js';

const PATIENTS = 200;
const CROSSINGS_PER_S = 5;
const SAMPLES = 150;
const WARMUP = 15;

async function socketServer() {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));

  return { io, port: (http.address() as AddressInfo).port };
}

/** Runs the load through a hub whose committed rows go to the engine or to `relay`. */
async function run(kind: 'engine' | 'relay'): Promise<number[]> {
  const scratch = await createScratchDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-bench-'));
  const { io, port } = await socketServer();
  const relayNs = io.of('/relay');
  relayNs.on('connection', (s) => void s.join('unit:ward-1'));
  const relay: CommittedSink = {
    handleObservations(observations: readonly Observation[]) {
      for (const o of observations) {
        if ((o.value ?? 100) < 90) {
          relayNs.to('unit:ward-1').emit('alert', { patientId: o.patient, observation: o });
        }
      }

      return Promise.resolve();
    },
    handleAlarms: () => Promise.resolve(),
  };
  const service = await createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: kind === 'engine' ? { defaultUnit: 'ward-1' } : false,
    sink: kind === 'relay' ? relay : undefined,
    logger: pino({ level: 'silent' }),
  });
  const { mqtt: ports } = await service.start();
  let client: Socket;
  let consoleNs: { close(): void } | undefined;
  if (service.engine !== undefined) {
    const rule = service.engine.currentRules().find((r) => r.id === 'spo2-low') as ThresholdRule;
    await service.engine.putRule({ ...rule, forMs: 0 }, 'bench');
    consoleNs = await attachConsole(io, {
      engine: service.engine,
      authenticate: () => Promise.resolve({ sub: 'bench', role: 'nurse', units: ['ward-1'] }),
    });
    client = connect(`http://127.0.0.1:${port}/console`, {
      auth: { token: 'x' },
      transports: ['websocket'],
    });
    await new Promise<void>((r) => client.once('ready', () => r()));
  } else {
    client = connect(`http://127.0.0.1:${port}/relay`, { transports: ['websocket'] });
    await new Promise<void>((r) => client.once('connect', () => r()));
    await new Promise((r) => setTimeout(r, 50));
  }

  const agent = await enrollTestAgent(service.fleet);
  const agentClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${ports.tls}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  let seq = 0;
  let at = Date.now();
  const topic = agentTopic(agent.agentId, 'up', 'obs');
  const publish = (values: Array<{ patient: string; value: number }>) => {
    const s = ++seq;
    const observations = values.map((v) => spo2(v.patient, v.value, (at += 1)));
    const body = { agentId: agent.agentId, seq: s, sentAt: new Date().toISOString(), observations };
    const frame = sealJson(
      { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(s) },
      body,
      agent.sealingKey,
    );
    void agentClient.publishAsync(topic, Buffer.from(frame), { qos: 1 });
  };

  const sent = new Map<string, number>();
  const latencies: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const onArrival = (patient: string) => {
    const t0 = sent.get(patient);
    if (t0 !== undefined) {
      sent.delete(patient);
      latencies.push(performance.now() - t0);
      if (latencies.length === SAMPLES + WARMUP) {
        done();
      }
    }
  };
  client.on('alert', (e: AlertEvent | { patientId: string }) => {
    const isEngine = 'kind' in e;
    if (!isEngine || (e.kind === 'raised' && e.alert.ruleId === 'spo2-low')) {
      onArrival(e.patientId);
    }
  });

  let tick = 0;
  const background = setInterval(() => {
    const base = (tick++ % 10) * (PATIENTS / 10);
    publish(
      Array.from({ length: PATIENTS / 10 }, (_, i) => ({ patient: `bg-${base + i}`, value: 97 })),
    );
  }, 100);
  let n = 0;
  const crossings = setInterval(() => {
    if (n < SAMPLES + WARMUP) {
      const patient = `x-${n++}`;
      sent.set(patient, performance.now());
      publish([{ patient, value: 85 }]);
    }
  }, 1000 / CROSSINGS_PER_S);
  await finished;
  clearInterval(background);
  clearInterval(crossings);

  client.disconnect();
  consoleNs?.close();
  await agentClient.endAsync();
  await service.stop();
  await io.close();
  await scratch.drop();
  await rm(dataDir, { recursive: true, force: true });

  return latencies.slice(WARMUP).sort((a, b) => a - b);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const relay = await run('relay');
const ours = await run('engine');
const load = `${PATIENTS} readings/s + ${CROSSINGS_PER_S} crossings/s, ${SAMPLES} samples`;
console.log(`alert latency, MQTT publish → console (mutual TLS, PostgreSQL), ${load}`);
for (const p of [50, 99]) {
  const o = percentile(ours, p);
  const r = percentile(relay, p);
  const fmt = (v: number) => v.toFixed(2).padStart(8);
  console.log(`  p${p}: ours ${fmt(o)} ms   relay ${fmt(r)} ms   ratio ${(o / r).toFixed(2)}×`);
}
