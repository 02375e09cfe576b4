import { EventEmitter } from 'node:events';

import { connect, type MqttClient } from 'mqtt';

import { computeBackoff } from '../backoff.js';
import { DriverError } from '../errors.js';
import type { DeviceSource, DeviceSourceEvents, DeviceSpec, DeviceState } from '../types.js';
import { checkMapping, decodeMqttJson } from './mqtt-json.js';

/**
 * A home gateway publishing JSON over MQTT (ESPHome-like), mapped to vitals by the agent
 * config. Subscribes to `mqtt.topic` and every mapping's own topic; reconnects with backoff.
 *
 * @example
 * ```ts
 * const source = new MqttJsonSource({
 *   id: 'gw-1', driver: 'mqtt-json',
 *   mqtt: { url: 'mqtt://127.0.0.1', topic: 'home/oximeter/state', mapping: [{ path: 'spo2', code: 'spo2' }] },
 * });
 * ```
 */
export class MqttJsonSource extends EventEmitter<DeviceSourceEvents> implements DeviceSource {
  readonly spec: DeviceSpec;
  #client: MqttClient | undefined;
  #state: DeviceState = 'disconnected';
  #attempt = 0;

  constructor(spec: DeviceSpec) {
    super();
    if (!spec.mqtt?.url || !spec.mqtt.topic) {
      throw new TypeError('"mqtt.url" and "mqtt.topic" are required');
    }
    checkMapping(spec.mqtt.mapping ?? []);
    this.spec = spec;
  }

  get state(): DeviceState {
    return this.#state;
  }

  async start(): Promise<void> {
    if (this.#client) {
      return;
    }
    const { url, topic, mapping, username, password } = this.spec.mqtt!;
    const topics = [...new Set([topic, ...mapping.map((m) => m.topic ?? topic)])];
    const client = connect(url, {
      username,
      password,
      clientId: `sparkden-${this.spec.id}-${process.pid}`,
      reconnectPeriod: computeBackoff(0, this.spec.reconnect),
      connectTimeout: 10_000,
    });
    this.#client = client;
    this.#setState('connecting');
    client.on('connect', () => {
      this.#attempt = 0;
      client.subscribe(topics, { qos: 1 }, (e) => {
        if (e) {
          this.#emitError(new DriverError('TRANSPORT', 'subscribe failed', { cause: e }));
        }
      });
      this.#setState('connected');
    });
    client.on('reconnect', () => {
      client.options.reconnectPeriod = computeBackoff(++this.#attempt, this.spec.reconnect);
      this.#setState('connecting');
    });
    client.on('close', () => this.#client && this.#setState('disconnected'));
    client.on('error', (cause) =>
      this.#emitError(new DriverError('TRANSPORT', 'broker error', { cause })),
    );
    client.on('message', (t, payload) => {
      try {
        decodeMqttJson(t, payload, mapping, topic).forEach((r) => this.emit('reading', r));
      } catch (e) {
        this.#emitError(e as DriverError);
      }
    });

    await Promise.resolve();
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      await client.endAsync(true);
    }

    this.#setState('disconnected');
  }

  #emitError(error: DriverError): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }

  #setState(state: DeviceState): void {
    if (state !== this.#state) {
      this.#state = state;
      this.emit('state', state);
    }
  }
}
