/**
 * Seeing inside the hub, with its real parts: the demo agent process and its simulated
 * oximeter feed the hub; a nurse console is connected. One trace runs from the agent's batch
 * (its `traceparent`, sealed in the body) through ingest, the commit, rule evaluation and the
 * alert's publication to the console push; `/metrics` counts what happened.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import type { Hub } from '../hub.js';
import { loginAs, startDemoHub, type DemoHub } from '../testing/demo-hub.js';
import { startTracing, type Tracing } from './tracing.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let demo: DemoHub;
let hub: Hub;

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

test.before(async () => {
  tracing = startTracing({ exporter, env: {} });
  demo = await startDemoHub('sd_observability');
  hub = demo.hub;
});

test.after(async () => {
  await demo?.stop();
  await tracing?.stop();
});

test('one trace runs agent → ingest → commit → rules → alert → console', async () => {
  const token = await loginAs(hub, 'nurse');
  const socket: Socket = connectSocket(`${hub.url}/console`, {
    auth: { token },
    transports: ['websocket'],
  });
  try {
    const push = await waitFor('a console.push span', () =>
      exporter.getFinishedSpans().find((s) => s.name === 'console.push'),
    );
    const spans = exporter.getFinishedSpans();
    const trace = spans.filter((s) => s.spanContext().traceId === push.spanContext().traceId);
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    // Walk from the console push up to the root: every hop is a span of the same trace.
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = push; s !== undefined; s = byId.get(parentOf(s)!)) {
      chain.unshift(s.name);
      if (s.name === 'ingest.batch') {
        // Its parent is the agent's batch: remote, not exported by the hub.
        assert.ok(s.parentSpanContext?.isRemote, 'ingest continues the agent’s traceparent');
        assert.is(byId.get(parentOf(s)!), undefined);
        break;
      }
    }
    assert.equal(chain, ['ingest.batch', 'alert.evaluate', 'alert.publish', 'console.push']);
    assert.ok(
      trace.some((s) => s.name === 'store.commit'),
      'the commit is in the same trace',
    );
    for (const s of trace) {
      const attributes = JSON.stringify(s.attributes);
      assert.not.match(attributes, /demo-patient/, `no patient id on span ${s.name}`);
    }
  } finally {
    socket.close();
  }
});

test('/metrics reports ingest, queue depth, rule time, alert latency and HTTP by route', async () => {
  // The trace test above waited for an alert to reach the console.
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const sample = (name: string): number => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);

    return m === null ? Number.NaN : Number(m[1]);
  };
  assert.ok(sample('sparkden_ingest_observations_total') > 0, 'stored observations counted');
  assert.ok(sample('sparkden_ingest_batches_total') > 0, 'batches counted');
  assert.ok(sample('sparkden_rule_evaluation_seconds_count') > 0, 'rule evaluations timed');
  assert.ok(sample('sparkden_alert_latency_seconds_count') > 0, 'alert latency observed');
  assert.ok(sample('sparkden_alerts_raised_total') > 0, 'alerts counted');
  assert.match(text, /^sparkden_agent_queue_depth\{agent="agent-[0-9a-f]+"\} \d+$/m);
  assert.match(text, /sparkden_http_request_duration_seconds_count\{[^}]*route="\/auth\/login"/);
  assert.not.match(text, /demo-patient/, 'no patient ids in metrics');
});

test.run();
