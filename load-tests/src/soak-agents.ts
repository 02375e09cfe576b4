/**
 * The soak's agents, run as a child process (see {@link startSoakAgents}) so the hub's
 * process holds only the hub and its memory is the hub's own. Each agent forwards one
 * pulse oximeter at 1 Hz the way the edge agent does when its queue is near empty: every
 * second, one sealed batch with that second's SpO2 and pulse rate, QoS 1 over mutual TLS,
 * without waiting for the previous ack. The id of every reading sent is appended to a file
 * for the bench to look up in the database.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

import type { TestAgent } from '@sparkden/alerting';
import { ackSchema, agentTopic, createObservation, openJson } from '@sparkden/protocol';
import mqtt from 'mqtt';

import { forkChild, isForkedEntry, serveParent } from './child-ipc.js';
import { sealBatch } from './readings.js';
import { percentile } from './report.js';

/** What the bench asks of the agents. */
export interface SoakPlan {
  seconds: number;
  /** Each agent sends one batch per `batchMs`. */
  batchMs: number;
  /** The longest wait for outstanding acks after the hold. */
  drainMs: number;
}

/** What the agents saw. */
export interface SoakReport {
  heldMs: number;
  batches: number;
  readings: number;
  acked: number;
  stored: number;
  duplicates: number;
  rejected: number;
  /** Batches without an ack when the hold ended, and after the drain. */
  inFlightAtEnd: number;
  unacked: number;
  /** Ack latency (publish to sealed ack), ms: whole soak, first and last third of it. */
  ack: { p50: number; p99: number; max: number; firstP99: number; lastP99: number };
  /** How late the agents' 1 s timers fired at worst (the generator's own overload). */
  maxTimerLagMs: number;
  errors: Record<string, number>;
}

type Request =
  | { op: 'connect'; url: string; agents: TestAgent[]; idsFile: string }
  | { op: 'run'; plan: SoakPlan };

/** The agents' process, seen from the bench. */
export interface SoakAgents {
  /** Connects every agent (mutual TLS) and subscribes it to its acks. */
  connect(url: string, agents: TestAgent[], idsFile: string): Promise<void>;
  /** Holds the load for `plan.seconds`, drains, and reports. */
  run(plan: SoakPlan): Promise<SoakReport>;
  close(): Promise<void>;
}

/** Forks the soak's agents (this file). */
export function startSoakAgents(): SoakAgents {
  const child = forkChild<Request>(import.meta.url);

  return {
    async connect(url, agents, idsFile) {
      await child.ask({ op: 'connect', url, agents, idsFile });
    },
    run: (plan) => child.ask<SoakReport>({ op: 'run', plan }),
    close: () => child.close(),
  };
}

// ---- the child's side ----

const CONNECT_AT_ONCE = 10;

interface Agent {
  agent: TestAgent;
  client: mqtt.MqttClient;
  seq: number;
}

interface SoakState {
  agents: Agent[];
  ids: WriteStream;
  /** `agentId:seq` → when it was published. */
  sentAt: Map<string, number>;
  latencies: Array<{ at: number; ms: number }>;
  report: SoakReport;
  stopping: boolean;
}

let state: SoakState | undefined;

function fail(what: string): void {
  const errors = state?.report.errors;
  if (errors !== undefined) {
    errors[what] = (errors[what] ?? 0) + 1;
  }
}

function onAck(s: SoakState, a: Agent, payload: Buffer): void {
  const { value } = openJson(payload, {
    key: () => a.agent.sealingKey,
    agentId: a.agent.agentId,
    kind: 'ack',
  });
  const ack = ackSchema.parse(value);
  const key = `${a.agent.agentId}:${ack.seq}`;
  const at = s.sentAt.get(key);
  if (at === undefined) {
    fail('ack for no outstanding batch');

    return;
  }
  s.sentAt.delete(key);
  s.latencies.push({ at, ms: performance.now() - at });
  s.report.acked++;
  s.report.stored += ack.stored;
  s.report.duplicates += ack.duplicates;
  s.report.rejected += ack.rejected.length;
}

async function connectAgent(s: SoakState, url: string, agent: TestAgent): Promise<Agent> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  const a: Agent = { agent, client, seq: 0 };
  client.on('error', () => fail('client error'));
  client.on('close', () => {
    if (!s.stopping) {
      fail('disconnected');
    }
  });
  client.on('message', (_topic, payload) => {
    try {
      onAck(s, a, payload);
    } catch {
      fail('ack not opened');
    }
  });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });

  return a;
}

async function connectAll(request: Extract<Request, { op: 'connect' }>): Promise<void> {
  const s: SoakState = {
    agents: [],
    ids: createWriteStream(request.idsFile),
    sentAt: new Map(),
    latencies: [],
    stopping: false,
    report: {
      heldMs: 0,
      batches: 0,
      readings: 0,
      acked: 0,
      stored: 0,
      duplicates: 0,
      rejected: 0,
      inFlightAtEnd: 0,
      unacked: 0,
      ack: { p50: NaN, p99: NaN, max: NaN, firstP99: NaN, lastP99: NaN },
      maxTimerLagMs: 0,
      errors: {},
    },
  };
  state = s;
  for (let i = 0; i < request.agents.length; i += CONNECT_AT_ONCE) {
    const some = request.agents.slice(i, i + CONNECT_AT_ONCE);
    s.agents.push(...(await Promise.all(some.map((a) => connectAgent(s, request.url, a)))));
  }
}

/** One agent's second: SpO2 and pulse rate of its one patient, sealed, published. */
function send(s: SoakState, a: Agent): void {
  const now = new Date();
  const home = a.agent.agentId.replace(/^agent-/, '');
  const device = { id: `${a.agent.agentId}-ox`, model: 'CMS50D+', transport: 'serial' } as const;
  const tick = a.seq;
  const observations = [
    createObservation({
      patient: `p-${home}`,
      device,
      code: 'spo2',
      value: 95 + (tick % 5),
      effectiveAt: now,
    }),
    createObservation({
      patient: `p-${home}`,
      device,
      code: 'heart-rate',
      value: 62 + (tick % 30),
      effectiveAt: now,
    }),
  ];
  a.seq++;
  const frame = sealBatch(a.agent, a.seq, observations);
  s.ids.write(`${observations.map((o) => o.id).join('\n')}\n`);
  s.sentAt.set(`${a.agent.agentId}:${a.seq}`, performance.now());
  s.report.batches++;
  s.report.readings += observations.length;
  a.client.publish(
    agentTopic(a.agent.agentId, 'up', 'obs'),
    Buffer.from(frame),
    { qos: 1 },
    (error) => {
      if (error) {
        fail('publish failed');
      }
    },
  );
}

async function hold(plan: SoakPlan): Promise<SoakReport> {
  const s = state;
  if (s === undefined) {
    throw new Error('"connect" must come before "run"');
  }

  const began = performance.now();
  const timers: NodeJS.Timeout[] = [];
  // Each agent on its own clock, the agents spread evenly over the interval.
  s.agents.forEach((a, i) => {
    const offset = (i * plan.batchMs) / s.agents.length;
    let due = began + offset;
    const fire = () => {
      const now = performance.now();
      s.report.maxTimerLagMs = Math.max(s.report.maxTimerLagMs, now - due);
      send(s, a);
      due += plan.batchMs;
      timers[i] = setTimeout(fire, Math.max(0, due - performance.now()));
    };
    timers[i] = setTimeout(fire, offset);
  });
  await new Promise((r) => setTimeout(r, plan.seconds * 1000));
  for (const t of timers) {
    clearTimeout(t);
  }
  s.report.heldMs = performance.now() - began;
  s.report.inFlightAtEnd = s.sentAt.size;

  const drainUntil = performance.now() + plan.drainMs;
  while (s.sentAt.size > 0 && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 100));
  }
  s.report.unacked = s.sentAt.size;
  await new Promise<void>((resolve, reject) =>
    s.ids.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );

  const all = s.latencies.map((l) => l.ms).sort((a, b) => a - b);
  const third = (plan.seconds * 1000) / 3;
  const p99Of = (keep: (at: number) => boolean) =>
    percentile(
      s.latencies
        .filter((l) => keep(l.at - began))
        .map((l) => l.ms)
        .sort((a, b) => a - b),
      99,
    );
  s.report.ack = {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.at(-1) ?? NaN,
    firstP99: p99Of((t) => t < third),
    lastP99: p99Of((t) => t >= 2 * third),
  };

  return s.report;
}

async function handle(request: Request): Promise<SoakReport | undefined> {
  switch (request.op) {
    case 'connect':
      await connectAll(request);

      return undefined;
    case 'run':
      return hold(request.plan);
  }
}

if (isForkedEntry(import.meta.url)) {
  serveParent(handle, async () => {
    const s = state;
    if (s !== undefined) {
      s.stopping = true;
      s.ids.end();
      await Promise.all(s.agents.map((a) => a.client.endAsync()));
    }
  });
}
