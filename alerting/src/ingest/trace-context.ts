import {
  ROOT_CONTEXT,
  SpanKind,
  isSpanContextValid,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/**
 * Where a committed batch came from, handed with it to the rule engine and on to whoever
 * listens to the engine's events: when the hub received it (epoch ms, the hub's clock) and
 * the W3C `traceparent` of the span that handled it. Carries no PHI.
 */
export interface BatchOrigin {
  /** Epoch milliseconds when the frame reached ingest. */
  receivedAt: number;
  /** [W3C Trace Context] `00-<trace id>-<span id>-<flags>`, when there is a trace. */
  traceparent?: string;
}

// [W3C Trace Context §3.2: version 00; all-zero trace or parent ids are invalid]
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The tracer of the alerting parts. Without a registered tracer provider it is the
 * OpenTelemetry no-op: spans cost an object each and record nothing.
 */
export function alertingTracer(): Tracer {
  return trace.getTracer('@sparkden/alerting');
}

/** A context whose remote parent is `traceparent`; the root context when it is not valid. */
export function contextFromTraceparent(traceparent: unknown): Context {
  const m = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (m === null) {
    return ROOT_CONTEXT;
  }

  const spanContext = {
    traceId: m[1],
    spanId: m[2],
    traceFlags: Number.parseInt(m[3], 16),
    isRemote: true,
  };

  return isSpanContextValid(spanContext)
    ? trace.setSpanContext(ROOT_CONTEXT, spanContext)
    : ROOT_CONTEXT;
}

/** The `traceparent` of a span, or `undefined` when it carries no valid context. */
export function traceparentOf(span: Span): string | undefined {
  const c = span.spanContext();
  if (!isSpanContextValid(c)) {
    return undefined;
  }
  const flags = (c.traceFlags & 0xff).toString(16).padStart(2, '0');

  return `00-${c.traceId}-${c.spanId}-${flags}`;
}

/**
 * Records a frame's hop through the broker: a `broker.publish` span from the packet reaching
 * the broker (`arrivedAt`, epoch ms) to ingest picking it up (`pickedAt`), child of `parent`
 * (the agent's batch). Returns the context the hub's spans of the frame continue.
 *
 * @example
 * ```ts
 * const ctx = recordBrokerHop(contextFromTraceparent(tp), 'agent-1', arrivedAt, Date.now());
 * ```
 */
export function recordBrokerHop(
  parent: Context,
  agentId: string,
  arrivedAt: number,
  pickedAt: number,
): Context {
  const span = alertingTracer().startSpan(
    'broker.publish',
    {
      kind: SpanKind.INTERNAL,
      startTime: arrivedAt,
      attributes: { 'sparkden.agent.id': agentId, 'messaging.system': 'mqtt' },
    },
    parent,
  );
  span.end(Math.max(arrivedAt, pickedAt));

  return trace.setSpan(parent, span);
}
