import { connect, type Socket } from 'node:net';

import { DriverError } from '../errors.js';
import { type ScenarioName, vitalsAt } from '../sim/scenarios.js';
import { component, field, parseHl7 } from './hl7-message.js';
import { encodeMllp, MllpFramer } from './mllp-framer.js';
import { buildOruR01 } from './oru-builder.js';

/** Options of {@link startHl7Simulator}. */
export interface Hl7SimulatorOptions {
  host?: string;
  port: number;
  scenario: ScenarioName;
  /** Milliseconds between messages (default 1000). */
  intervalMs?: number;
  /** Stop after this many messages (default: run until stopped). */
  count?: number;
  /** Scenario seconds per wall-clock second (default 1). */
  speed?: number;
  /** Called as each ACK comes back, with its exchange. */
  onAck?: (exchange: Hl7Exchange) => void;
  /** Called when the connection fails or closes (the simulator does not reconnect). */
  onError?: (error: DriverError) => void;
}

/** One message the simulator sent, with what it expects back and what came back. */
export interface Hl7Exchange {
  controlId: string;
  kind: 'oru' | 'demo' | 'bad-value' | 'unsupported';
  expected: 'AA' | 'AE' | 'AR';
  /** MSA-1, MSA-2 and, for AE/AR, MSA-3 (the reason) of the ACK that came back. */
  ack?: { code: string; controlId: string; text?: string };
}

/** A running bedside-monitor simulator. */
export interface Hl7Simulator {
  exchanges: Hl7Exchange[];
  /** Resolves when `count` messages have all been answered. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** In the `flaky-link` scenario, which kinds cycle in (besides garbage between blocks). */
const FLAKY_CYCLE: Hl7Exchange['kind'][] = [
  'oru',
  'demo',
  'oru',
  'bad-value',
  'oru',
  'unsupported',
];
const EXPECTED = { oru: 'AA', demo: 'AA', 'bad-value': 'AE', unsupported: 'AR' } as const;

function messageFor(
  kind: Hl7Exchange['kind'],
  controlId: string,
  t: number,
  scenario: ScenarioName,
): string {
  const time = new Date();
  const v = vitalsAt(scenario, t);
  switch (kind) {
    case 'oru':
      return buildOruR01(v, { controlId, time });
    case 'demo':
      return buildOruR01(v, { controlId, time, demo: true });
    case 'bad-value':
      return buildOruR01(v, { controlId, time, spo2Text: '9x7' });
    case 'unsupported':
      return `MSH|^~\\&|SIM-MONITOR|SIM-ICU|SPARKDEN|HUB|20240101000000||ADT^A01^ADT_A01|${controlId}|P|2.6\rEVN|A01|20240101000000`;
  }
}

/**
 * Plays a bedside monitor: an MLLP client that sends ORU^R01 messages for a scenario and
 * records each ACK. `flaky-link` mixes in demo data, a malformed value, an unsupported
 * message type and stray bytes between blocks.
 *
 * @example
 * ```ts
 * const sim = startHl7Simulator({ port: 2575, scenario: 'normal', count: 5 });
 * await sim.done;
 * ```
 */
export function startHl7Simulator(options: Hl7SimulatorOptions): Hl7Simulator {
  const intervalMs = options.intervalMs ?? 1000;
  const speed = options.speed ?? 1;
  if (!(intervalMs > 0) || !(speed > 0)) {
    throw new TypeError('"intervalMs" and "speed" must be > 0');
  }
  const exchanges: Hl7Exchange[] = [];
  const framer = new MllpFramer();
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const socket: Socket = connect({ host: options.host ?? '127.0.0.1', port: options.port });
  socket.on('error', (cause) =>
    options.onError?.(new DriverError('TRANSPORT', 'monitor connection failed', { cause })),
  );
  socket.on('data', (chunk: Buffer) => {
    for (const text of framer.push(chunk).messages) {
      const ack = parseHl7(text);
      const msa = ack.segments.find((s) => s.id === 'MSA');
      const controlId = field(msa, 2);
      const exchange = exchanges.find((e) => e.controlId === controlId && !e.ack);
      if (exchange) {
        const text = field(msa, 3);
        exchange.ack = {
          code: component(ack, field(msa, 1), 1),
          controlId,
          ...(text ? { text } : {}),
        };
        options.onAck?.(exchange);
      }
      if (
        options.count !== undefined &&
        exchanges.length >= options.count &&
        exchanges.every((e) => e.ack)
      ) {
        finish();
      }
    }
  });

  let n = 0;
  const timer = setInterval(() => {
    if (options.count !== undefined && n >= options.count) {
      clearInterval(timer);
      return;
    }
    const kind = options.scenario === 'flaky-link' ? FLAKY_CYCLE[n % FLAKY_CYCLE.length] : 'oru';
    const controlId = `SIM${String(++n).padStart(6, '0')}`;
    const t = ((n * intervalMs) / 1000) * speed;
    exchanges.push({ controlId, kind, expected: EXPECTED[kind] });
    if (options.scenario === 'flaky-link' && n % 3 === 0) {
      socket.write(Buffer.from('\r\n\x00noise'));
    }
    socket.write(encodeMllp(messageFor(kind, controlId, t, options.scenario)));
  }, intervalMs);

  return {
    exchanges,
    done,
    async stop() {
      clearInterval(timer);
      socket.destroy();
      await Promise.resolve();
    },
  };
}
