import { trace } from '@opentelemetry/api';

import { contextFromTraceparent } from './trace-context.js';

/**
 * An agent's batch as the agent timed it, read from its sealed body, so the hub can record
 * the agent's own span (`agent.batch`): the agent exports no spans itself. Times are epoch
 * milliseconds by the agent's clock. Carries no PHI.
 */
export interface AgentBatchTiming {
  agentId: string;
  kind: 'obs' | 'alarm';
  seq: number;
  /** [W3C Trace Context] the agent's `traceparent`: its trace id and its batch span's id. */
  traceparent: string;
  /** The earliest item's `receivedAt` (an alarm's `raisedAt`): the batch's first reading queued. */
  startedAt: number;
  /** The batch's `sentAt`: when the agent published it. */
  sentAt: number;
  /** Readings or alarms in the batch. */
  items: number;
}

function epochOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;

  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The timing of an `up/obs` or `up/alarm` body, or `undefined` when it carries no valid
 * `traceparent` or `sentAt`. Items without a readable time are skipped; a batch whose
 * items have none starts when it was sent.
 *
 * @example
 * ```ts
 * const timing = agentBatchTiming('agent-1', 'obs', opened.value);
 * ```
 */
export function agentBatchTiming(
  agentId: string,
  kind: 'obs' | 'alarm',
  body: unknown,
): AgentBatchTiming | undefined {
  const b = (body ?? {}) as Record<string, unknown>;
  const sentAt = epochOf(b.sentAt);
  const traced = trace.getSpanContext(contextFromTraceparent(b.traceparent)) !== undefined;
  if (sentAt === undefined || !traced || typeof b.seq !== 'number') {
    return undefined;
  }

  const list = b[kind === 'obs' ? 'observations' : 'alarms'];
  const items: unknown[] = Array.isArray(list) ? list : [];
  const field = kind === 'obs' ? 'receivedAt' : 'raisedAt';
  let startedAt = sentAt;
  for (const item of items) {
    const at = epochOf((item as Record<string, unknown> | null)?.[field]);
    if (at !== undefined && at < startedAt) {
      startedAt = at;
    }
  }

  return {
    agentId,
    kind,
    seq: b.seq,
    traceparent: b.traceparent as string,
    startedAt,
    sentAt,
    items: items.length,
  };
}
