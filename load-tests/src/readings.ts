/**
 * Readings and sealed batches as the edge agent makes them, for the benches' load
 * generators. Imports nothing of the hub, so a generator process stays small.
 */
import type { TestAgent } from '@sparkden/alerting';
import { createObservation, sealJson, type Observation } from '@sparkden/protocol';

/**
 * `count` ordinary readings (SpO2 and heart rate alternating, in normal ranges, so no rule
 * fires) from one agent's 25 oximeters, one patient each, numbered from `first`.
 */
export function makeReadings(agentId: string, first: number, count: number): Observation[] {
  const t0 = Date.now() - 3_600_000;
  const home = agentId.replace(/^agent-/, '');
  const readings: Observation[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    const isSpo2 = n % 2 === 0;
    readings.push(
      createObservation({
        patient: `p-${home}-${n % 25}`,
        device: { id: `${agentId}-ox-${n % 25}`, model: 'CMS50D+', transport: 'serial' },
        code: isSpo2 ? 'spo2' : 'heart-rate',
        value: isSpo2 ? 95 + (n % 5) : 62 + (n % 30),
        effectiveAt: new Date(t0 + n * 10).toISOString(),
      }),
    );
  }

  return readings;
}

/** Seals one batch the way the agent does (`seq` names it in the hub's ack). */
export function sealBatch(agent: TestAgent, seq: number, observations: Observation[]): Uint8Array {
  return sealJson(
    { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(seq) },
    { agentId: agent.agentId, seq, sentAt: new Date().toISOString(), observations },
    agent.sealingKey,
  );
}
