/**
 * Soak: twice the design load of one hub node, held for a stated time, through the whole
 * alerting service (mutual TLS, aedes, unseal, validate, PostgreSQL commit, rule engine,
 * sealed ack). Runs only with `SD_SOAK=1`; `SD_SOAK_SECONDS` sets the time (default 60).
 *
 * Design load of one hub node on this class of machine (2 cores, the database on the same
 * host): 100 agents, each forwarding one pulse oximeter at 1 Hz (SpO2 + heart rate, so
 * 2 readings/s) in one sealed batch every 2 s: 200 readings/s, 50 batches/s. The soak holds
 * twice that: 200 agents, 400 readings/s, 100 batches/s (`SD_SOAK_AGENTS` changes the agent
 * count). The agents run in this process beside the hub, as MQTT.js clients.
 *
 * Reports errors (publish failures, client errors or disconnects, rejected readings, batches
 * never acked), lost readings (published minus rows stored in `vitals.observation`; must be
 * 0), ack latency, and RSS and heap (after a full GC) at the start and the end. Exits 1 on
 * any error or lost reading.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import type { Observation } from '@sparkden/protocol';

import type { BenchAgent } from './hub-load.js';

if (process.env.SD_SOAK !== '1') {
  console.log('soak skipped (set SD_SOAK=1)');
  process.exit(0);
}

// Loaded only when the soak runs, so a skipped soak costs nothing.
const { connectAgent, enrollAgents, makeReadings, sealBatch, serverVersion, startBenchHub } =
  await import('./hub-load.js');

const SECONDS = Number(process.env.SD_SOAK_SECONDS ?? 60);
const AGENTS = Number(process.env.SD_SOAK_AGENTS ?? 200);
const READINGS_PER_S = 2;
const FLUSH_MS = 2000;
const DRAIN_MS = 30_000;
if (!(SECONDS > 0) || !Number.isInteger(AGENTS) || AGENTS <= 0) {
  throw new TypeError('"SD_SOAK_SECONDS" must be > 0 and "SD_SOAK_AGENTS" a positive integer');
}

// A full collection before each heap reading, so growth is retained memory, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Memory {
  rss: number;
  heap: number;
}

function memory(): Memory {
  gc();
  const m = process.memoryUsage();

  return { rss: m.rss, heap: m.heapUsed };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

const hub = await startBenchHub();
let exitCode = 0;
try {
  const agents = await enrollAgents(hub, AGENTS);
  const clients: BenchAgent[] = [];
  for (const a of agents) {
    clients.push(await connectAgent(hub, a));
  }

  const errors: Record<string, number> = {};
  const fail = (what: string) => {
    errors[what] = (errors[what] ?? 0) + 1;
  };
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let published = 0;
  let stopping = false;
  for (const c of clients) {
    c.client.on('error', () => fail('client error'));
    c.client.on('close', () => {
      if (!stopping) {
        fail('disconnected');
      }
    });
    c.onAck((ack) => {
      const key = `${c.agent.agentId}:${ack.seq}`;
      const t0 = sentAt.get(key);
      if (t0 === undefined) {
        fail('unexpected ack');

        return;
      }
      sentAt.delete(key);
      latencies.push(performance.now() - t0);
      if (ack.rejected.length > 0) {
        errors['rejected readings'] = (errors['rejected readings'] ?? 0) + ack.rejected.length;
      }
    });
  }

  const perBatch = (READINGS_PER_S * FLUSH_MS) / 1000;
  const seqs = clients.map(() => 0);
  const flush = (i: number) => {
    const c = clients[i];
    if (c === undefined) {
      return;
    }
    const seq = (seqs[i] ?? 0) + 1;
    seqs[i] = seq;
    const obs: Observation[] = makeReadings(c.agent.agentId, seq * perBatch, perBatch);
    const frame = sealBatch(c.agent, seq, obs);
    sentAt.set(`${c.agent.agentId}:${seq}`, performance.now());
    published += obs.length;
    c.publish(frame).catch(() => fail('publish failed'));
  };

  const start = memory();
  let peakRss = start.rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 1000);
  // Agents flush on their own 2 s clocks, spread evenly over the interval.
  const timers: NodeJS.Timeout[] = [];
  const began = performance.now();
  clients.forEach((_, i) => {
    const offset = (i * FLUSH_MS) / clients.length;
    timers.push(
      setTimeout(() => {
        flush(i);
        timers.push(setInterval(() => flush(i), FLUSH_MS));
      }, offset),
    );
  });
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  for (const t of timers) {
    clearInterval(t);
  }
  const heldMs = performance.now() - began;

  // Drain: every published batch must be acked.
  const drainUntil = performance.now() + DRAIN_MS;
  while (sentAt.size > 0 && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (sentAt.size > 0) {
    errors['batches never acked'] = sentAt.size;
  }
  clearInterval(sampler);
  const end = memory();
  stopping = true;
  await Promise.all(clients.map((c) => c.close()));

  const stored = await hub.countRows();
  const lost = published - stored;
  const errorCount = Object.values(errors).reduce((n, v) => n + v, 0);
  latencies.sort((a, b) => a - b);
  const pg = await serverVersion(hub);
  console.log(
    `# soak: twice the design load = ${AGENTS} agents × ${READINGS_PER_S} readings/s ` +
      `(one sealed batch of ${perBatch} every ${FLUSH_MS / 1000} s) = ` +
      `${AGENTS * READINGS_PER_S} readings/s, ${((AGENTS * 1000) / FLUSH_MS).toFixed(0)} batches/s, ` +
      `for ${SECONDS} s; PostgreSQL ${pg}, rule engine on, agents in-process`,
  );
  console.log(
    `soak ${(heldMs / 1000).toFixed(1)} s: published ${published} readings ` +
      `(${((published * 1000) / heldMs).toFixed(0)}/s), stored ${stored}, lost ${lost}, ` +
      `errors ${errorCount}${errorCount > 0 ? ` ${JSON.stringify(errors)}` : ''}`,
  );
  console.log(
    `  ack latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ` +
      `${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`,
  );
  console.log(
    `  memory start→end: rss ${mib(start.rss)} → ${mib(end.rss)} ` +
      `(${end.rss >= start.rss ? '+' : ''}${mib(end.rss - start.rss)}, peak ${mib(peakRss)}), ` +
      `heap after GC ${mib(start.heap)} → ${mib(end.heap)} ` +
      `(${end.heap >= start.heap ? '+' : ''}${mib(end.heap - start.heap)})`,
  );
  if (lost !== 0 || errorCount > 0) {
    console.log('!! soak failed: readings lost or errors');
    exitCode = 1;
  }
} finally {
  await hub.close();
}
process.exit(exitCode);
