import {
  TOPIC_ROOT,
  agentTopic,
  parseAgentTopic,
  type DownKind,
  type UpKind,
} from '@sparkden/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';

import { alertingLogger } from '../log/safe-error.js';
import type { HubBrokerEvents } from './hub-broker.js';

/** Options of {@link UpstreamLink}. */
export interface UpstreamLinkOptions {
  /** The broker agents connect to: `mqtts://host:port`, or `mqtt://` on loopback only. */
  url: string;
  /**
   * The hub's MQTT client id, one per hub process and stable across restarts so the broker
   * keeps its session (default `sparkden-hub`).
   */
  clientId?: string;
  /** The client certificate the hub presents (mutual TLS), with its key. */
  certPem?: string;
  keyPem?: string;
  /** The CA the broker's certificate must chain to. */
  caPem?: string;
  username?: string;
  password?: string;
  /**
   * Several hubs on one broker: subscribe as `$share/<group>/…` so the broker hands each
   * frame to one of them (the broker must support shared subscriptions, as Mosquitto 2,
   * EMQX and HiveMQ do).
   */
  shareGroup?: string;
  /** Wait before reconnecting after the link drops (default 1000 ms). */
  reconnectMs?: number;
  logger?: Logger;
}

/** Events of an {@link UpstreamLink}. */
export interface UpstreamLinkEvents {
  /** A frame an agent published on its `up/*` topic, as {@link HubBroker} emits it. */
  agentMessage: HubBrokerEvents['agentMessage'];
  /** The link came back after a drop (the broker may have lost retained messages). */
  reconnected: [];
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const GROUP_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The hub as a client of a broker it does not run (Mosquitto, EMQX, HiveMQ, any MQTT 3.1.1
 * broker): subscribes to every agent's `up/*`, hands each frame on as `agentMessage` (the
 * same event {@link HubBroker} emits, so the same ingest takes it), and publishes `down/ack`
 * and retained `down/config` back through that broker.
 *
 * Such a broker shows the hub no agent certificate, so the agent id comes from the topic;
 * the ingest then opens the frame with that agent's own key and refuses it unless the
 * sealed, authenticated header names the same agent. The broker's ACL should still confine
 * each agent to its own topics, but nothing the hub stores rests on it.
 *
 * @example
 * ```ts
 * const link = new UpstreamLink({ url: 'mqtts://mqtt.example.org:8883', certPem, keyPem, caPem });
 * link.on('agentMessage', (m) => void ingest.handle(m));
 * await link.start();
 * ```
 */
export class UpstreamLink extends EventEmitter<UpstreamLinkEvents> {
  readonly #options: UpstreamLinkOptions;
  readonly #log: Logger;
  #client?: MqttClient;
  #closed = false;

  constructor(options: UpstreamLinkOptions) {
    super();
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (cause) {
      throw new TypeError('"upstream.url" must be an mqtt:// or mqtts:// URL', { cause });
    }
    if (url.protocol !== 'mqtts:' && url.protocol !== 'mqtt:') {
      throw new TypeError('"upstream.url" must be an mqtt:// or mqtts:// URL');
    }
    if (url.protocol === 'mqtt:' && !LOOPBACK.has(url.hostname)) {
      throw new TypeError('"upstream.url" must use mqtts:// unless the broker is on loopback');
    }
    if (options.shareGroup !== undefined && !GROUP_RE.test(options.shareGroup)) {
      throw new TypeError('"upstream.shareGroup" must be 1 to 64 letters, digits, ".", "_" or "-"');
    }
    if ((options.certPem === undefined) !== (options.keyPem === undefined)) {
      throw new TypeError('"upstream.certPem" and "upstream.keyPem" go together');
    }

    this.#options = options;
    this.#log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:upstream');
  }

  /** The topic filter the hub subscribes to. */
  get subscription(): string {
    const filter = `${TOPIC_ROOT}/+/up/#`;
    const group = this.#options.shareGroup;

    return group === undefined ? filter : `$share/${group}/${filter}`;
  }

  /**
   * Connects and subscribes; resolves once frames can flow. Rejects if the first attempt
   * fails (unreachable, TLS or CONNACK refusal), so a misconfigured hub does not start.
   */
  async start(): Promise<void> {
    if (this.#closed || this.#client !== undefined) {
      throw new Error('upstream link already started or closed');
    }

    const o = this.#options;
    const client = mqtt.connect(o.url, {
      protocolVersion: 4,
      clientId: o.clientId ?? 'sparkden-hub',
      // A persistent session: while the hub is away the broker keeps agents' QoS 1 frames.
      clean: false,
      keepalive: 30,
      connectTimeout: 15_000,
      reconnectPeriod: o.reconnectMs ?? 1000,
      cert: o.certPem,
      key: o.keyPem,
      ca: o.caPem,
      rejectUnauthorized: true,
      username: o.username,
      password: o.password,
    });
    this.#client = client;
    this.#wire(client);
    try {
      await firstConnect(client);
      await client.subscribeAsync(this.subscription, { qos: 1 });
    } catch (error) {
      this.#client = undefined;
      await client.endAsync(true);
      throw new Error('the upstream broker refused or could not be reached', { cause: error });
    }
    this.#log.info({ broker: new URL(o.url).host }, 'upstream broker linked');
  }

  /** Whether the link is up now. */
  isConnected(): boolean {
    return this.#client?.connected === true;
  }

  /**
   * Publishes a sealed frame on one agent's `down/*` topic (QoS 1). Resolves when the
   * broker has it (PUBACK); while the link is down, mqtt.js holds it until it is back.
   */
  async publishToAgent(
    agentId: string,
    kind: DownKind,
    payload: Uint8Array,
    options: { retain?: boolean } = {},
  ): Promise<void> {
    const client = this.#client;
    if (client === undefined || this.#closed) {
      throw new Error('upstream link is not running');
    }

    await client.publishAsync(agentTopic(agentId, 'down', kind), Buffer.from(payload), {
      qos: 1,
      retain: options.retain ?? false,
    });
  }

  /** Ends the link; the broker keeps the session for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync();
  }

  #wire(client: MqttClient) {
    const log = this.#log;
    client.on('message', (topic, payload, packet) => {
      const parsed = parseAgentTopic(topic);
      if (parsed?.direction !== 'up') {
        log.warn({ code: 'TOPIC_IGNORED' }, 'frame on an unexpected topic dropped');

        return;
      }
      this.emit('agentMessage', {
        agentId: parsed.agentId,
        kind: parsed.kind as UpKind,
        payload,
        retain: packet.retain,
      });
    });
    let linked = false;
    client.on('connect', () => {
      if (linked) {
        log.info('upstream broker link restored');
        this.emit('reconnected');
      }
      linked = true;
    });
    client.on('offline', () => log.warn('upstream broker link lost; reconnecting'));
    client.on('error', (error: Error & { code?: string | number }) => {
      log.warn({ code: String(error.code ?? ''), reason: error.message }, 'upstream link error');
    });
  }
}

function firstConnect(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error?: Error) => {
      client.off('connect', ok);
      client.off('error', fail);
      client.off('close', fail);
      reject(error ?? new Error('connection closed before CONNACK'));
    };
    const ok = () => {
      client.off('error', fail);
      client.off('close', fail);
      resolve();
    };
    client.once('connect', ok);
    client.once('error', fail);
    client.once('close', fail);
  });
}
