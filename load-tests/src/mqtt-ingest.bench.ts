/**
 * MQTT ingest through the hub, beside Mosquitto on loopback, in the same run.
 *
 * Ours: agents enrolled through the real token + CSR path publish sealed observation
 * batches QoS 1 over mutual TLS (1.3) to the hub's aedes broker; the hub opens each envelope,
 * validates every reading, commits it to `vitals.observation` on the real PostgreSQL server,
 * hands it to the rule engine, and only then publishes the sealed `down/ack` (QoS 1) that
 * frees the agent's window. The peer: a Mosquitto started here (temporary configuration,
 * free ports) carrying the very same sealed bytes from the same client ids, each client
 * subscribed QoS 1 to its own topic so Mosquitto echoes every frame back; the echo frees
 * the window. The peer runs twice, over mutual TLS 1.3 with the agents' own certificates
 * (the like-for-like peer of the ratio) and over plain MQTT.
 *
 * The clients run in a child process (mqtt-driver.ts) for both, so neither broker shares
 * its process with the load. Offered load: 4 agents, 4 frames in flight each, at two batch
 * sizes (200 readings, a backlog drain; 2 readings, what an agent with one 1 Hz oximeter
 * sends), in rounds whose order rotates; the median of the rounds is printed. Every reading
 * sent to the hub is looked up by id in the database afterwards.
 *
 * NOTE: the clients keep MQTT.js's socket defaults (Nagle on), as the edge agent's uplink
 * does, for every peer alike. With one frame in flight, Nagle and delayed ACKs cost the hub
 * about 40 ms per stalled side and round trip; Mosquitto answers in fewer, larger writes.
 */
import type { TestAgent } from '@sparkden/alerting';

import { echoTarget, enrollAgents, hubTarget, startBenchHub } from './hub-load.js';
import { startMosquitto } from './mosquitto.js';
import { startDriver, type DriverRun } from './mqtt-driver.js';
import { makeReadings, sealBatch } from './readings.js';
import {
  atCleanup,
  loadAverage,
  machineLine,
  median,
  packageVersion,
  runCleanups,
} from './report.js';

const AGENTS = 4;
const WINDOW = 4;
const ROUNDS = Number(process.env.SD_BENCH_ROUNDS ?? 3);
/** Batch sizes, with the batches each agent sends per round at that size. */
const SIZES = [
  { readings: 200, batches: 40 },
  { readings: 2, batches: 300 },
] as const;
const PEERS = ['ours', 'mosquitto-mtls', 'mosquitto-plain'] as const;
type Peer = (typeof PEERS)[number];

if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new TypeError('"SD_BENCH_ROUNDS" must be a positive integer');
}

/** Makes frames for every agent: `batches` sealed batches of `size` readings each. */
function framesFor(agents: TestAgent[], size: number, batches: number, state: Counters) {
  const ids: string[] = [];
  let bytes = 0;
  const frames = agents.map((agent, a) =>
    Array.from({ length: batches }, () => {
      const obs = makeReadings(agent.agentId, state.readings[a] ?? 0, size);
      state.readings[a] = (state.readings[a] ?? 0) + size;
      state.seq[a] = (state.seq[a] ?? 0) + 1;
      ids.push(...obs.map((o) => o.id));
      const frame = sealBatch(agent, state.seq[a] ?? 0, obs);
      bytes += frame.length;

      return frame;
    }),
  );

  return { frames, ids, bytes };
}

interface Counters {
  readings: number[];
  seq: number[];
}

console.log(machineLine());
try {
  const hub = await startBenchHub();
  const agents = await enrollAgents(hub, AGENTS);
  const mosquitto = await startMosquitto({
    caPem: hub.service.pki.ca.pem,
    certPem: hub.service.pki.server.pem,
    keyPem: hub.service.pki.server.keyPem,
  });
  atCleanup(() => mosquitto.stop());
  const driver = startDriver();
  atCleanup(() => driver.close());
  await driver.connect(
    'ours',
    agents.map((a) => hubTarget(hub, a)),
  );
  await driver.connect(
    'mosquitto-mtls',
    agents.map((a) => echoTarget(mosquitto.tlsUrl, a, true)),
  );
  await driver.connect(
    'mosquitto-plain',
    agents.map((a) => echoTarget(mosquitto.plainUrl, a, false)),
  );

  const state: Counters = { readings: agents.map(() => 0), seq: agents.map(() => 0) };
  const sentToHub: string[] = [];
  let acked = { stored: 0, duplicates: 0, rejected: 0 };
  const note = (peer: Peer, run: DriverRun, ids: string[]) => {
    if (peer === 'ours') {
      sentToHub.push(...ids);
      acked = {
        stored: acked.stored + run.stored,
        duplicates: acked.duplicates + run.duplicates,
        rejected: acked.rejected + run.rejected,
      };
    }
  };

  // Warm-up: a few batches of each size through each peer, untimed.
  for (const size of SIZES) {
    const w = framesFor(agents, size.readings, 5, state);
    for (const peer of PEERS) {
      note(peer, await driver.run(peer, w.frames, WINDOW), w.ids);
    }
  }

  const results = SIZES.map(() => new Map<Peer, number[]>(PEERS.map((p) => [p, []])));
  const frameBytes = SIZES.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    const order = PEERS.map((_, i) => PEERS[(i + round) % PEERS.length]);
    for (const [s, size] of SIZES.entries()) {
      // One set of frames per round and size: each peer carries exactly these bytes.
      const w = framesFor(agents, size.readings, size.batches, state);
      frameBytes[s] = w.bytes / (AGENTS * size.batches);
      for (const peer of order) {
        const run = await driver.run(peer, w.frames, WINDOW);
        note(peer, run, w.ids);
        results[s]?.get(peer)?.push(run.ms);
      }
    }
  }

  // Honesty check: every reading acked and stored, looked up by id.
  const missing = await hub.missingIds(sentToHub);
  const rows = await hub.countRows();
  const ingest = hub.service.ingest.stats();
  const [aedes, mqttJs, pg] = await Promise.all([
    packageVersion('aedes'),
    packageVersion('mqtt'),
    hub.serverVersion(),
  ]);

  console.log(
    `# ${mosquitto.version} (own instance, temporary config, 127.0.0.1), aedes ${aedes}, ` +
      `mqtt.js ${mqttJs}, PostgreSQL ${pg} (vitals layout ${hub.service.store.layout}), ` +
      `rule engine on`,
  );
  console.log(
    `mqtt ingest: ${AGENTS} agents, window ${WINDOW}, QoS 1, clients in a child process, ` +
      `median of ${ROUNDS} round(s) in rotating order`,
  );
  console.log(
    '  ours = mTLS → aedes → unseal → validate → PostgreSQL commit → engine → sealed ack',
  );
  console.log('  peer = mosquitto over mTLS (same certificates), echo of the same bytes');
  for (const [s, size] of SIZES.entries()) {
    const frames = AGENTS * size.batches;
    const readings = frames * size.readings;
    const rate = (peer: Peer) => {
      const ms = median(results[s]?.get(peer) ?? []);

      return { msgs: (frames * 1000) / ms, obs: (readings * 1000) / ms };
    };
    const fmt = (peer: Peer) => {
      const r = rate(peer);

      return `${r.msgs.toFixed(0).padStart(6)} msgs/s ${r.obs.toFixed(0).padStart(7)} obs/s`;
    };
    const ours = rate('ours');
    const kib = ((frameBytes[s] ?? 0) / 1024).toFixed(1);
    console.log(
      `  ${size.readings} readings/batch (${kib} KiB sealed), ${frames} batches per round:`,
    );
    console.log(`    ours             ${fmt('ours')}`);
    console.log(`    mosquitto mTLS   ${fmt('mosquitto-mtls')}`);
    console.log(`    mosquitto plain  ${fmt('mosquitto-plain')}`);
    console.log(
      `    ratio ours/mosquitto-mTLS ${(ours.msgs / rate('mosquitto-mtls').msgs).toFixed(3)}, ` +
        `ours/mosquitto-plain ${(ours.msgs / rate('mosquitto-plain').msgs).toFixed(3)}`,
    );
  }
  console.log(
    `  check: sent ${sentToHub.length} readings to the hub, acked stored ${acked.stored} ` +
      `(duplicates ${acked.duplicates}, rejected ${acked.rejected}), rows ${rows}, ` +
      `missing by id ${missing.length}, frames refused ${ingest.refused}, ` +
      `hub warnings ${hub.logged.warn} errors ${hub.logged.error}; ` +
      `load average ${loadAverage()} at end`,
  );
  if (
    missing.length > 0 ||
    acked.stored !== sentToHub.length ||
    rows !== sentToHub.length ||
    ingest.refused > 0
  ) {
    console.log('!! mqtt ingest: readings not acked or not stored');
    process.exitCode = 1;
  }
} finally {
  await runCleanups();
}
