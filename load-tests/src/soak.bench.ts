/**
 * Soak: twice the design load of one hub node, held for a stated time, through the whole
 * alerting service (mutual TLS, aedes, unseal, validate, PostgreSQL commit, rule engine,
 * sealed ack). `npm run bench` runs it only when asked (`npm run bench -- soak`, or
 * `SD_SOAK=1`); `SD_SOAK_SECONDS` sets the time held (default 60).
 *
 * Design load assumed for one hub node on this class of machine (2 cores, PostgreSQL on
 * the same host): 100 agents, one per monitored home, each forwarding one pulse oximeter at
 * 1 Hz (SpO2 + pulse rate: 2 readings/s) as the edge agent does when its queue is near
 * empty, one sealed batch a second: 200 readings/s in 100 batches/s. The soak holds twice
 * that: 200 agents, 400 readings/s, 200 batches/s (`SD_SOAK_AGENTS` changes the agent
 * count). The agents run in a child process (soak-agents.ts); this process is the hub.
 *
 * Reports errors (agents: publish failures, client errors, disconnects, acks that do not
 * open, rejected readings, batches never acked; hub: refused frames, logged warnings and
 * errors), lost readings (every sent reading's id looked up in `vitals.observation`; must
 * be 0), ack latency, and the hub process's RSS and heap after a full GC: before the load,
 * after the warm-up (the first tenth of the time, 5 to 60 s) and at the end. Exits 1 on any
 * error or lost reading.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { enrollAgents, startBenchHub } from './hub-load.js';
import { atCleanup, loadAverage, machineLine, packageVersion, runCleanups } from './report.js';
import { startSoakAgents } from './soak-agents.js';

const DESIGN_AGENTS = 100;
const READINGS_PER_BATCH = 2;
const BATCH_MS = 1000;
const SECONDS = Number(process.env.SD_SOAK_SECONDS ?? 60);
const AGENTS = Number(process.env.SD_SOAK_AGENTS ?? 2 * DESIGN_AGENTS);
const DRAIN_MS = 30_000;
/** Below this share of the offered readings, the generator did not hold the load. */
const HELD_SHARE = 0.98;

if (!(SECONDS > 0) || !Number.isInteger(AGENTS) || AGENTS <= 0) {
  throw new TypeError('"SD_SOAK_SECONDS" must be > 0 and "SD_SOAK_AGENTS" a positive integer');
}
const warmupMs = Math.min(60_000, Math.max(5000, SECONDS * 100));

// A full collection before each reading, so the heap figure is what is retained.
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

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const growth = (from: number, to: number) => `${to >= from ? '+' : ''}${mib(to - from)}`;

console.log(machineLine());
try {
  const hub = await startBenchHub();
  const tmp = await mkdtemp(join(tmpdir(), 'sd-bench-soak-'));
  atCleanup(() => rm(tmp, { recursive: true, force: true }));
  const idsFile = join(tmp, 'sent-ids.txt');
  const agents = await enrollAgents(hub, AGENTS);
  const load = startSoakAgents();
  atCleanup(() => load.close());
  await load.connect(hub.url, agents, idsFile);

  const before = memory();
  let peakRss = before.rss;
  let afterWarmup: Memory | undefined;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 1000);
  const warmup = setTimeout(() => (afterWarmup = memory()), warmupMs);
  const report = await load.run({ seconds: SECONDS, batchMs: BATCH_MS, drainMs: DRAIN_MS });
  clearTimeout(warmup);
  clearInterval(sampler);
  const end = memory();
  await load.close();

  const sent = (await readFile(idsFile, 'utf8')).split('\n').filter(Boolean);
  const missing = await hub.missingIds(sent);
  const rows = await hub.countRows();
  const ingest = hub.service.ingest.stats();
  const errors: Record<string, number> = { ...report.errors };
  const count = (what: string, n: number) => {
    if (n > 0) {
      errors[what] = (errors[what] ?? 0) + n;
    }
  };
  count('rejected readings', report.rejected);
  count('batches never acked', report.unacked);
  count('hub refused frames', ingest.refused);
  count('hub logged warnings', hub.logged.warn);
  count('hub logged errors', hub.logged.error);
  count('ids written ≠ readings sent', Math.abs(sent.length - report.readings));
  const offered = (AGENTS * READINGS_PER_BATCH * report.heldMs) / BATCH_MS;
  count('offered load not held', report.readings < HELD_SHARE * offered ? 1 : 0);
  const errorCount = Object.values(errors).reduce((n, v) => n + v, 0);
  const [pg, aedes] = await Promise.all([hub.serverVersion(), packageVersion('aedes')]);
  const held = report.heldMs / 1000;
  const a = report.ack;

  console.log(
    `# design load ${DESIGN_AGENTS} agents × 1 oximeter at 1 Hz (${READINGS_PER_BATCH} readings ` +
      `in 1 sealed batch/s each) = ${DESIGN_AGENTS * READINGS_PER_BATCH} readings/s; soak at ` +
      `${AGENTS} agents = ${AGENTS * READINGS_PER_BATCH} readings/s, ${AGENTS} batches/s ` +
      `(${(AGENTS / DESIGN_AGENTS).toFixed(1)}× design) for ${SECONDS} s`,
  );
  console.log(
    `# PostgreSQL ${pg} (vitals layout ${hub.service.store.layout}), aedes ${aedes}, ` +
      'rule engine on, agents in a child process over mutual TLS',
  );
  console.log(
    `soak ${held.toFixed(1)} s: sent ${report.readings} readings in ${report.batches} batches ` +
      `(${(report.readings / held).toFixed(0)} readings/s), acked ${report.acked} batches ` +
      `(stored ${report.stored}, duplicates ${report.duplicates}), rows ${rows}`,
  );
  console.log(
    `  lost readings (sent ids not in vitals.observation) ${missing.length}, ` +
      `errors ${errorCount}${errorCount > 0 ? ` ${JSON.stringify(errors)}` : ''}`,
  );
  console.log(
    `  ack latency p50 ${a.p50.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms ` +
      `(first third ${a.firstP99.toFixed(1)}, last third ${a.lastP99.toFixed(1)}), ` +
      `max ${a.max.toFixed(1)} ms; in flight when the hold ended ${report.inFlightAtEnd}; ` +
      `agents' worst timer lag ${report.maxTimerLagMs.toFixed(0)} ms`,
  );
  // A soak shorter than the warm-up measures growth from before the load.
  const w = afterWarmup ?? before;
  const since = afterWarmup === undefined ? 'before load' : `${warmupMs / 1000} s warm-up`;
  console.log(
    `  hub memory after GC: rss ${mib(before.rss)} before load, ${mib(w.rss)} after ` +
      `${since}, ${mib(end.rss)} at end (${growth(w.rss, end.rss)}, peak ${mib(peakRss)}); ` +
      `heap ${mib(before.heap)}, ${mib(w.heap)}, ${mib(end.heap)} (${growth(w.heap, end.heap)})`,
  );
  console.log(`  load average ${loadAverage()} at end`);
  if (missing.length > 0 || errorCount > 0) {
    console.log('!! soak failed: readings lost or errors');
    process.exitCode = 1;
  }
} finally {
  await runCleanups();
}
