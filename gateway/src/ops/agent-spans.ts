import { SpanKind, SpanStatusCode, type SpanContext } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AgentBatchTiming } from '@sparkden/alerting';

import { recordForeignSpan } from './tracing.js';

// [W3C Trace Context §3.2: version 00] trace id, parent id (here: the agent's span), flags.
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const agentResource = resourceFromAttributes({ 'service.name': 'sparkden-agent' });
const scope = { name: '@sparkden/gateway/agent-spans' };

/**
 * The agent's own span of one batch, rebuilt on the hub from the times the agent sealed
 * into it: `agent.batch`, from its first reading queued to its publication, with exactly
 * the trace id and span id of the batch's `traceparent`, so the hub's `broker.publish`
 * (whose parent that traceparent names) hangs under it and the trace starts on the agent.
 * The agent stays small: it runs no OpenTelemetry SDK. Its times are by its own clock.
 *
 * @example
 * ```ts
 * ingest.on('agentBatchOpened', recordAgentBatch);
 * ```
 */
export function agentBatchSpan(timing: AgentBatchTiming): ReadableSpan | undefined {
  const m = TRACEPARENT.exec(timing.traceparent);
  if (m === null) {
    return undefined;
  }

  const context: SpanContext = {
    traceId: m[1],
    spanId: m[2],
    traceFlags: Number.parseInt(m[3], 16),
  };
  const startTime = millisToHrTime(timing.startedAt);
  const endTime = millisToHrTime(Math.max(timing.startedAt, timing.sentAt));

  return {
    name: 'agent.batch',
    kind: SpanKind.PRODUCER,
    spanContext: () => context,
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status: { code: SpanStatusCode.UNSET },
    attributes: {
      'sparkden.agent.id': timing.agentId,
      'sparkden.batch.kind': timing.kind,
      'sparkden.batch.seq': timing.seq,
      'sparkden.batch.items': timing.items,
    },
    links: [],
    events: [],
    ended: true,
    resource: agentResource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Records an agent batch's span with the registered tracer provider (no-op without one). */
export function recordAgentBatch(timing: AgentBatchTiming): void {
  const span = agentBatchSpan(timing);
  if (span !== undefined) {
    recordForeignSpan(span);
  }
}
