import { connectAsync } from 'mqtt';

import type { MqttFieldMapping } from '../types.js';
import { type ScenarioName, vitalsAt } from '../sim/scenarios.js';

/** The mapping that reads what {@link startMqttSimulator} publishes (an example agent config). */
export const SIMULATED_GATEWAY_MAPPING: MqttFieldMapping[] = [
  { path: 'oximeter.spo2', code: 'spo2' },
  { path: 'oximeter.pulse', code: 'heart-rate' },
  { path: 'thermometer.celsius', code: 'body-temp' },
  { path: 'scale.grams', code: 'body-weight', unit: 'kg', scale: 0.001 },
];

/** Options of {@link startMqttSimulator}. */
export interface MqttSimulatorOptions {
  url: string;
  topic: string;
  scenario: ScenarioName;
  intervalMs?: number;
  speed?: number;
  /** Stop publishing after this many messages (default: until stopped). */
  count?: number;
  /** Called after each message is handed to the client, with its payload. */
  onPublish?: (payload: string) => void;
}

/**
 * Plays an ESPHome-like home gateway: publishes one JSON state a tick, e.g.
 * `{"oximeter":{"spo2":97,"pulse":72},"thermometer":{"celsius":36.8},"scale":{"grams":78400}}`.
 * With the finger out the oximeter publishes `"nan"`, as ESPHome does.
 *
 * @example
 * ```ts
 * const sim = await startMqttSimulator({ url: 'mqtt://127.0.0.1', topic: 'home/gw', scenario: 'fever' });
 * ```
 */
export async function startMqttSimulator(
  options: MqttSimulatorOptions,
): Promise<{ done: Promise<void>; stop(): Promise<void> }> {
  const intervalMs = options.intervalMs ?? 1000;
  const speed = options.speed ?? 1;
  if (!(intervalMs > 0) || !(speed > 0)) {
    throw new TypeError('"intervalMs" and "speed" must be > 0');
  }
  const client = await connectAsync(options.url, { reconnectPeriod: 1000 });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let n = 0;
  const publish = (payload: string) => {
    void client
      .publishAsync(options.topic, payload, { qos: 1 })
      .then(() => {
        if (options.count !== undefined && n >= options.count) {
          finish();
        }
      })
      .catch(() => undefined);
    options.onPublish?.(payload);
  };
  const timer = setInterval(() => {
    if (options.count !== undefined && n >= options.count) {
      clearInterval(timer);

      return;
    }
    const v = vitalsAt(options.scenario, ((n++ * intervalMs) / 1000) * speed);
    const state = {
      oximeter: v.fingerOut ? { spo2: 'nan', pulse: 'nan' } : { spo2: v.spo2, pulse: v.pulseRate },
      thermometer: { celsius: v.temperature },
      scale: { grams: Math.round(v.weight * 1000) },
    };
    // flaky-link: every fifth message is cut short, as a gateway losing power mid-write.
    publish(
      options.scenario !== 'flaky-link' || n % 5 !== 0
        ? JSON.stringify(state)
        : '{"oximeter": {"spo2": 9',
    );
  }, intervalMs);

  return {
    done,
    async stop() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
