import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';

import { connect, type IPublishPacket, type MqttClient } from 'mqtt';

import { computeBackoff } from '../backoff.js';
import { DriverError } from '../errors.js';
import type {
  DeviceSource,
  DeviceSourceEvents,
  DeviceSpec,
  DeviceState,
  DriverReading,
} from '../types.js';
import { checkMapping, decodeMqttJson } from './mqtt-json.js';

/**
 * Where a durable consumer takes each message's readings: it calls `taken` once they are
 * stored for good (or refused for good); only then is the message acknowledged to the broker.
 * `cursor` names the recent deliveries; store it with the readings and give it back as
 * {@link MqttDurableOptions.resume} so a redelivery after a crash is not taken twice.
 */
export type MqttTake = (readings: DriverReading[], taken: () => void, cursor: string) => void;

/** Options of {@link MqttJsonSource.setDurable}. */
export interface MqttDurableOptions {
  /** A client id stable across restarts: the broker keeps the session and its unacked messages. */
  clientId: string;
  /** The last `cursor` stored with the readings. */
  resume?: string;
  take: MqttTake;
}

/**
 * Deliveries remembered to recognise a redelivery (by packet id and content). NOTE: only
 * deliveries whose PUBACK may not have reached the broker are kept, so a packet id the broker
 * reuses for a new message of the same content is mistaken for a resend only in the moment
 * between a PUBACK and the next commit, and with a broker that reuses ids at once.
 */
const RECENT = 64;

/**
 * A home gateway publishing JSON over MQTT (ESPHome-like), mapped to vitals by the agent
 * config. Subscribes to `mqtt.topic` and every mapping's own topic; reconnects with backoff.
 * By default a QoS 1 message is acknowledged on arrival; after {@link setDurable} the PUBACK
 * waits until the consumer has stored its readings, on a persistent session, so a message
 * the broker took is never lost by a crash of the consumer.
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
  #durable?: MqttDurableOptions;
  /**
   * `messageId:hash` of deliveries taken whose PUBACK was not sent (the link was down, or a
   * previous life died first), oldest first: a redelivery of one is acknowledged, not taken.
   */
  #unacked: string[] = [];
  /** Deliveries handed over and not yet taken, with the packet ids to acknowledge then. */
  #waiting = new Map<string, number>();

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

  /**
   * Acknowledges each message only once `take` says its readings are stored; call before
   * {@link start}. Readings then go to `take`, not to `reading` events.
   */
  setDurable(options: MqttDurableOptions): void {
    if (this.#client) {
      throw new TypeError('"setDurable" must be called before start()');
    }
    this.#durable = options;
    this.#unacked = parseCursor(options.resume);
  }

  async start(): Promise<void> {
    if (this.#client) {
      return;
    }
    const { url, topic, mapping, username, password } = this.spec.mqtt!;
    const topics = [...new Set([topic, ...mapping.map((m) => m.topic ?? topic)])];
    const durable = this.#durable;
    const client = connect(url, {
      username,
      password,
      clientId: durable?.clientId ?? `sparkden-${this.spec.id}-${process.pid}`,
      // [MQTT-3.1.2-4]: without a clean session the broker keeps unacknowledged QoS 1
      // messages, and those queued meanwhile, for the next connection of this client id.
      clean: durable === undefined,
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
    if (durable === undefined) {
      client.on('message', (t, payload) => {
        try {
          decodeMqttJson(t, payload, mapping, topic).forEach((r) => this.emit('reading', r));
        } catch (e) {
          this.#emitError(e as DriverError);
        }
      });
    } else {
      // NOTE: MQTT.js sends the PUBACK when `handleMessage` calls back without an error, and
      // handles the next packet as soon as it calls back either way. Calling back with an
      // error keeps the PUBACK for later ({@link #ack}) without holding up later messages.
      client.handleMessage = (packet, callback) => {
        this.#onDurableMessage(client, packet, durable);
        callback(packet.qos > 0 ? new Error('acknowledged once stored') : undefined);
      };
    }

    await Promise.resolve();
  }

  #onDurableMessage(client: MqttClient, packet: IPublishPacket, durable: MqttDurableOptions): void {
    const { topic, mapping } = this.spec.mqtt!;
    const id = packet.messageId;
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const key = `${id ?? 0}:${hashOf(packet.topic, payload)}`;
    // [MQTT-3.3.1-1]: a redelivery carries DUP. One being taken is acknowledged once taken;
    // one already taken (its PUBACK never sent) is acknowledged now, not taken twice.
    if (packet.dup && id !== undefined && this.#waiting.has(key)) {
      return;
    }
    if (packet.dup && id !== undefined && this.#unacked.includes(key)) {
      this.#unacked = this.#unacked.filter((k) => k !== key);
      this.#ack(client, id);

      return;
    }
    let readings: DriverReading[] = [];
    try {
      readings = decodeMqttJson(packet.topic, payload, mapping, topic);
    } catch (e) {
      // A malformed message never gets better: acknowledge it, so it is not sent again.
      this.#emitError(e as DriverError);
    }
    if (id === undefined || packet.qos === 0) {
      durable.take(readings, () => undefined, this.#cursor());

      return;
    }
    this.#waiting.set(key, id);
    durable.take(readings, () => this.#taken(key, id), this.#cursor());
  }

  #taken(key: string, id: number): void {
    if (!this.#waiting.delete(key)) {
      return;
    }
    if (!this.#ack(this.#client, id)) {
      this.#unacked = [...this.#unacked.filter((k) => k !== key), key].slice(-RECENT);
    }
  }

  /** Every delivery not known to be acknowledged, stored with the readings being taken. */
  #cursor(): string {
    return [...this.#unacked, ...this.#waiting.keys()].slice(-RECENT).join(',');
  }

  /** @returns whether the PUBACK went out (disconnected: the broker sends the message again). */
  #ack(client: MqttClient | undefined, messageId: number): boolean {
    if (client?.connected !== true) {
      return false;
    }
    // [MQTT-4.3.2-2]: the PUBACK names the packet id of the PUBLISH it acknowledges.
    const sender = client as unknown as { _sendPacket(packet: object): void };
    sender._sendPacket({ cmd: 'puback', messageId });

    return true;
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

function hashOf(topic: string, payload: Buffer): string {
  return createHash('sha256')
    .update(topic)
    .update('\0')
    .update(payload)
    .digest('base64url')
    .slice(0, 16);
}

function parseCursor(cursor: string | undefined): string[] {
  const keys = (cursor ?? '').split(',');

  return keys.filter((k) => /^\d+:[\w-]{16}$/.test(k)).slice(-RECENT);
}
