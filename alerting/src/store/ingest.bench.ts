/**
 * Ingest throughput: rows per second from agents' sealed MQTT batches (mutual TLS, envelope
 * opened, every reading validated, COPY + `insert … on conflict do nothing`, the sealed ack
 * received by the agent) into `vitals.observation`, beside `psql \copy` of the very same
 * rows into the same table on the same server, in the same run. The rule engine is off, so
 * this is the ingest path alone. Offered load: 4 agents, batches of 500, up to 4 batches
 * in flight per agent.
 */
import {
  agentTopic,
  createObservation,
  openJson,
  sealJson,
  type Observation,
} from '@sparkden/protocol';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';

import { createScratchDatabase } from '../db/index.js';
import { enrollTestAgent, type TestAgent } from '../fleet/index.js';
import { createAlertingService } from '../service.js';
import { WRITE_COLUMNS, encodeCopyText, toObservationRow } from './rows.js';

const AGENTS = 4;
const BATCH = 500;
const BATCHES_PER_AGENT = 50;
const WINDOW = 4;
const ROWS = AGENTS * BATCH * BATCHES_PER_AGENT;

const scratch = await createScratchDatabase('sd_bench');
const dataDir = await mkdtemp(join(tmpdir(), 'sd-bench-'));
const service = await createAlertingService({
  dataDir,
  databaseUrl: scratch.url,
  mqtt: { port: 0, host: '127.0.0.1' },
  engine: false,
  logger: pino({ level: 'warn' }),
});
const { mqtt: ports } = await service.start();

function makeBatches(agent: TestAgent, patient: number): Observation[][] {
  const t0 = Date.now() - 86_400_000;
  const batches: Observation[][] = [];
  for (let b = 0; b < BATCHES_PER_AGENT; b++) {
    const batch: Observation[] = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      batch.push(
        createObservation({
          patient: `p-${patient}-${n % 50}`,
          device: { id: `${agent.agentId}-ox`, model: 'CMS50D+', transport: 'serial' },
          code: n % 2 === 0 ? 'spo2' : 'heart-rate',
          value: n % 2 === 0 ? 90 + (n % 10) : 60 + (n % 40),
          effectiveAt: new Date(t0 + n * 1000).toISOString(),
        }),
      );
    }
    batches.push(batch);
  }

  return batches;
}

function sealFrames(agent: TestAgent, batches: Observation[][]): Uint8Array[] {
  return batches.map((observations, i) =>
    sealJson(
      { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(i + 1) },
      { agentId: agent.agentId, seq: i + 1, sentAt: new Date().toISOString(), observations },
      agent.sealingKey,
    ),
  );
}

async function runAgent(agent: TestAgent, frames: Uint8Array[]): Promise<void> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${ports.tls}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });
  let next = 0;
  let acked = 0;
  await new Promise<void>((resolve) => {
    const send = () => {
      const i = next++;
      client.publish(agentTopic(agent.agentId, 'up', 'obs'), Buffer.from(frames[i]), { qos: 1 });
    };
    client.on('message', (_t, payload) => {
      openJson(payload, { key: () => agent.sealingKey, agentId: agent.agentId, kind: 'ack' });
      acked++;
      if (acked === frames.length) {
        resolve();
      } else if (next < frames.length) {
        send();
      }
    });
    for (let i = 0; i < Math.min(WINDOW, frames.length); i++) {
      send();
    }
  });
  await client.endAsync();
}

const agents = await Promise.all(
  Array.from({ length: AGENTS }, () => enrollTestAgent(service.fleet)),
);
const work = agents.map((a, i) => {
  const batches = makeBatches(a, i);

  // Sealing is the agent's work, done before the clock starts.
  return { agent: a, batches, frames: sealFrames(a, batches) };
});

// Both sides start from an empty table.
const started = performance.now();
await Promise.all(work.map((w) => runAgent(w.agent, w.frames)));
const oursMs = performance.now() - started;
const stored = await service.db.query<{ n: number }>(
  'select count(*)::int8 n from vitals.observation',
);
if (stored.rows[0]?.n !== ROWS) {
  throw new Error(`expected ${ROWS} rows, found ${stored.rows[0]?.n}`);
}

// The peer: the same rows, COPY'd by psql into the same (emptied) table.
await service.db.exec('truncate vitals.observation');
const file = join(dataDir, 'rows.copy');
const rows = work.flatMap((w) => w.batches.flat().map((o) => toObservationRow(o, w.agent.agentId)));
await writeFile(file, encodeCopyText(rows));
const copyStarted = performance.now();
const psql = spawnSync(
  'psql',
  [
    scratch.url,
    '-v',
    'ON_ERROR_STOP=1',
    '-q',
    '-c',
    `\\copy vitals.observation (${WRITE_COLUMNS.join(', ')}) from '${file}'`,
  ],
  { encoding: 'utf8' },
);
const copyMs = performance.now() - copyStarted;
if (psql.status !== 0) {
  throw new Error(`psql failed: ${psql.stderr}`);
}

const ours = (ROWS * 1000) / oursMs;
const peer = (ROWS * 1000) / copyMs;
console.log(
  `ingest ${ROWS} rows (${AGENTS} agents × ${BATCHES_PER_AGENT} batches × ${BATCH}, window ${WINDOW}, ` +
    `${service.store.layout}): ours ${ours.toFixed(0)} rows/s, psql \\copy ${peer.toFixed(0)} rows/s, ` +
    `ratio ${(ours / peer).toFixed(2)}`,
);

await service.stop();
await scratch.drop();
await rm(dataDir, { recursive: true, force: true });
