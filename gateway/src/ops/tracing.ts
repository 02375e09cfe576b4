import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** Receives every span, one at a time (tests: an `InMemorySpanExporter`). */
  exporter?: SpanExporter;
  /** `service.name` of the spans (default `OTEL_SERVICE_NAME`, else `sparkden-hub`). */
  serviceName?: string;
  /** Where `OTEL_*` settings are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Tracing as {@link startTracing} registered it. */
export interface Tracing {
  /** Whether a provider was registered (an exporter was given or configured). */
  readonly enabled: boolean;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes, shuts the provider down and restores the no-op tracer. */
  stop(): Promise<void>;
}

// The processors of the provider startTracing registered: spans timed elsewhere (an agent's
// batch) reach the same exporters through them.
let registered: readonly SpanProcessor[] = [];

/**
 * Hands a finished span that was timed outside this process (the agent's `agent.batch`,
 * rebuilt from its batch) to the exporters of the registered provider. Returns whether
 * tracing is on; without it the span is dropped, as the hub's own would be.
 */
export function recordForeignSpan(span: ReadableSpan): boolean {
  for (const processor of registered) {
    processor.onEnd(span);
  }

  return registered.length > 0;
}

function processorsFor(options: TracingOptions, env: NodeJS.ProcessEnv): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  if (options.exporter !== undefined) {
    processors.push(new SimpleSpanProcessor(options.exporter));
  }
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '') {
    // [OTLP/HTTP exporter spec] the exporter reads the endpoint, headers and timeout from
    // the OTEL_EXPORTER_OTLP_* variables itself and appends /v1/traces to the generic one.
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }

  return processors;
}

/**
 * Registers the process-wide OpenTelemetry tracer provider: spans go to `exporter` (one at
 * a time) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set, in
 * batches to that OTLP/HTTP collector. With neither, nothing is registered and the hub's
 * spans stay OpenTelemetry's no-op. Throws `InvalidStateError` when a provider is already
 * registered in this process.
 *
 * @example
 * ```ts
 * const tracing = startTracing(); // OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
 * // … on shutdown
 * await tracing.stop();
 * ```
 */
export function startTracing(options: TracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const processors = processorsFor(options, env);
  if (processors.length === 0) {
    return { enabled: false, flush: () => Promise.resolve(), stop: () => Promise.resolve() };
  }

  const serviceName = options.serviceName ?? env.OTEL_SERVICE_NAME ?? 'sparkden-hub';
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: processors,
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    throw Object.assign(new Error('a tracer provider is already registered'), {
      name: 'InvalidStateError',
      code: 'TRACING_REGISTERED',
    });
  }
  registered = processors;

  return {
    enabled: true,
    flush: () => provider.forceFlush(),
    async stop() {
      registered = [];
      await provider.shutdown();
      trace.disable();
    },
  };
}
