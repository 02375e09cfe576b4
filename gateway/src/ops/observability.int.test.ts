/**
 * Seeing inside the hub, with its real parts: the demo agent process and its simulated
 * oximeter feed the hub through its real broker; a nurse console is connected. One trace
 * runs from the agent's batch (`agent.batch`, timed by the agent, its `traceparent` sealed in
 * the body) through the broker hop, ingest, the commit, rule evaluation and the alert's
 * publication to the console push; `/metrics` counts what happened.
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

test('one trace runs agent → broker → ingest → commit → rules → alert → console', async () => {
  const token = await loginAs(hub, 'nurse');
  const socket: Socket = connectSocket(`${hub.url}/console`, {
    auth: { token },
    transports: ['websocket'],
  });
  try {
    const traceOf = (s: ReadableSpan) =>
      exporter
        .getFinishedSpans()
        .filter((t) => t.spanContext().traceId === s.spanContext().traceId);
    // A console push of an alert raised by an agent's batch (not by a timer rule).
    const push = await waitFor('a console.push span of an agent batch', () =>
      exporter
        .getFinishedSpans()
        .find((s) => s.name === 'console.push' && traceOf(s).some((t) => t.name === 'agent.batch')),
    );
    const trace = traceOf(push);
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    const named = (name: string) => trace.find((s) => s.name === name)!;
    // Walk from the console push up to the root: every hop is an exported span of the trace.
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = push; s !== undefined;) {
      chain.unshift(s.name);
      const parent = parentOf(s);
      s = parent === undefined ? undefined : byId.get(parent);
    }
    assert.equal(chain, [
      'agent.batch',
      'broker.publish',
      'ingest.batch',
      'alert.evaluate',
      'alert.publish',
      'console.push',
    ]);
    const agent = named('agent.batch');
    assert.is(agent.parentSpanContext, undefined, 'the trace starts on the agent');
    assert.is(agent.resource.attributes['service.name'], 'sparkden-agent');
    assert.match(String(agent.attributes['sparkden.agent.id']), /^agent-[0-9a-f]+$/);
    assert.ok(
      (agent.attributes['sparkden.batch.items']! as number) >= 1,
      'the batch counts its items',
    );
    const broker = named('broker.publish');
    assert.is(parentOf(broker), agent.spanContext().spanId);
    assert.ok(broker.parentSpanContext?.isRemote, 'the agent’s span reached the hub sealed');
    assert.is(parentOf(named('store.commit')), named('ingest.batch').spanContext().spanId);
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
