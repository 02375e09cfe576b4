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
): Promise<{ stop(): Promise<void> }> {
  const intervalMs = options.intervalMs ?? 1000;
  const speed = options.speed ?? 1;
  if (!(intervalMs > 0) || !(speed > 0)) {
    throw new TypeError('"intervalMs" and "speed" must be > 0');
  }
  const client = await connectAsync(options.url, { reconnectPeriod: 1000 });
  let n = 0;
  const timer = setInterval(() => {
    const v = vitalsAt(options.scenario, ((n++ * intervalMs) / 1000) * speed);
    const state = {
      oximeter: v.fingerOut ? { spo2: 'nan', pulse: 'nan' } : { spo2: v.spo2, pulse: v.pulseRate },
      thermometer: { celsius: v.temperature },
      scale: { grams: Math.round(v.weight * 1000) },
    };
    if (options.scenario !== 'flaky-link' || n % 5 !== 0) {
      void client
        .publishAsync(options.topic, JSON.stringify(state), { qos: 1 })
        .catch(() => undefined);
    } else {
      void client
        .publishAsync(options.topic, '{"oximeter": {"spo2": 9', { qos: 1 })
        .catch(() => undefined);
    }
  }, intervalMs);

  return {
    async stop() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
