/**
 * A child process for agent-rss.bench.ts: seals and opens queue-sized batches of SpO2 readings
 * for a fixed time, the way the agent's queue and uplink do, and prints one JSON line with the
 * readings sealed per second. `SEAL_LOOP_V8_FLAGS` are applied first, as the agent's bin
 * applies SPARKDEN_AGENT_V8_FLAGS, so the same code is measured under the unit's settings.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';

const flags = process.env.SEAL_LOOP_V8_FLAGS ?? '';
if (flags !== '') {
  setFlagsFromString(flags);
}

const { createObservation, openJson, sealJson } = await import('@sparkden/protocol');

// A batch as the uplink sends one under backlog; long enough a run for the baseline tier.
const BATCH = 200;
const MS = 3000;

const key = randomBytes(32);
const device = { id: 'oxi-1', transport: 'serial' as const, model: 'CMS50D+' };
const batch = Array.from({ length: BATCH }, (_, i) =>
  createObservation({ patient: `p-${i % 5}`, device, code: 'spo2', value: 97 }),
);

let readings = 0;
let seq = 0n;
const started = performance.now();
while (performance.now() - started < MS) {
  seq += 1n;
  const frame = sealJson({ kind: 'obs', keyId: 1, agentId: 'agent-1', seq }, batch, key);
  openJson(frame, { key: () => key });
  readings += BATCH;
}
const seconds = (performance.now() - started) / 1000;

process.stdout.write(`${JSON.stringify({ readingsPerSecond: readings / seconds })}\n`);
