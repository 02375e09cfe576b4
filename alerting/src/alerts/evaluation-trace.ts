import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

import {
  alertingTracer,
  contextFromTraceparent,
  traceparentOf,
  type BatchOrigin,
} from '../ingest/trace-context.js';
import type { AlertEvent } from './types.js';

/**
 * The trace of one committed batch through the engine: an `alert.evaluate` span (a child of
 * ingest's `ingest.batch`), started when the batch is handed over so it shows the wait in
 * the engine's queue, and one `alert.publish` span per alert event it produced.
 *
 * @example
 * ```ts
 * const t = new EvaluationTrace('obs', batch.length, origin);
 * t.publish(event, (origin) => engine.emit('alertEvent', event, origin));
 * t.end(); // or t.fail(error)
 * ```
 */
export class EvaluationTrace {
  /** Alert events published under this evaluation. */
  events = 0;
  readonly #span: Span;
  readonly #origin?: BatchOrigin;

  constructor(kind: 'obs' | 'alarm', items: number, origin: BatchOrigin | undefined) {
    this.#origin = origin;
    this.#span = alertingTracer().startSpan(
      'alert.evaluate',
      { attributes: { 'sparkden.batch.kind': kind, 'sparkden.batch.items': items } },
      contextFromTraceparent(origin?.traceparent),
    );
  }

  // The console listens to `alertEvent`: a span around the emit ('alert.publish') times the
  // push, and is the active span then so a listener's own spans (with a context manager
  // registered) join the trace.
  /** Runs `emit` inside an `alert.publish` span, with the origin the listeners are given. */
  publish(event: AlertEvent, emit: (origin: BatchOrigin | undefined) => void): void {
    this.events++;
    const parent = trace.setSpan(context.active(), this.#span);
    const span = alertingTracer().startSpan(
      'alert.publish',
      { attributes: { 'sparkden.alert.event': event.kind, 'sparkden.alert.cursor': event.cursor } },
      parent,
    );
    const origin =
      this.#origin === undefined
        ? undefined
        : { receivedAt: this.#origin.receivedAt, traceparent: traceparentOf(span) };
    try {
      context.with(trace.setSpan(parent, span), () => emit(origin));
    } finally {
      span.end();
    }
  }

  /** Ends the evaluation span. */
  end(): void {
    this.#span.end();
  }

  /** Ends the evaluation span, marked failed. */
  fail(error: unknown): void {
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
    this.#span.end();
  }
}
