import {
  agentTopic,
  deriveSealingKey,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
  type AgentConfigPush,
  type AgentStatus,
  type EnvelopeKind,
} from '@sparkden/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';

import { InvalidStateError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClockSkew } from '../clock-skew.js';
import type { SealedQueue, QueuedRecord, RecordKind } from '../queue/sealed-queue.js';
import type { SeqCounter } from '../queue/seq-counter.js';
import type { Credentials } from '../state-dir.js';
import { AdaptiveBatch, estimateBacklog, pickRecords } from './adaptive-batch.js';
import { Backoff } from './backoff.js';

/** The link to the hub as the status shows it. */
export type LinkState = 'connecting' | 'online' | 'offline' | 'revoked';

/** Options of {@link Uplink}. */
export interface UplinkOptions {
  credentials: Credentials;
  /** `mqtts://host:port` (mutual TLS) or `mqtt://` on loopback for development. */
  mqttUrl: string;
  queue: SealedQueue;
  seq: SeqCounter;
  skew: ClockSkew;
  log: Logger;
  ackTimeoutMs: number;
  maxBatch: number;
  /**
   * The broker's largest accepted packet, in bytes (default 1 MiB, the smallest default
   * among the brokers an agent may face); every frame stays within it.
   */
  maxPacketBytes?: number;
  backoff: { minMs: number; maxMs: number };
  /** Builds the heartbeat for a link state. */
  buildStatus: (state: AgentStatus['state']) => AgentStatus;
  onConfig: (push: AgentConfigPush) => void;
  onLinkState: (state: LinkState, detail?: string) => void;
}

interface InFlight {
  kind: RecordKind;
  records: number[];
  /** Sealed bytes of those records. */
  bytes: number;
  sentAt: number;
  timer: NodeJS.Timeout;
}

/** Batches waiting for their ack at once. */
const WINDOW = 4;
/** Alarms per `up/alarm` message [protocol alarmSchema: max 1000]. */
const MAX_ALARMS = 1000;
/** Records read from the queue per batch being built. */
const RECORDS_PER_TAKE = 256;
/** [MQTT 3.1.1 §2.2.3] A packet's remaining length is at most 268 435 455 bytes. */
const DEFAULT_MAX_PACKET = 1024 * 1024;
/** Room in a packet for the topic, the envelope header and the batch's own fields. */
const PACKET_HEADROOM = 4096;

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

// TLS alerts and CONNACK codes that mean the hub refuses this agent's identity.
/**
 * A fresh W3C `traceparent` (version 00, sampled) for one batch: the root of the trace that
 * the hub continues through ingest, rules and the consoles.
 */
export function newTraceparent(): string {
  const bytes = randomBytes(24);
  // [W3C Trace Context §3.2.2.3: an all-zero trace id or parent id is invalid]
  bytes[0] |= 1;
  bytes[16] |= 1;

  return `00-${bytes.subarray(0, 16).toString('hex')}-${bytes.subarray(16).toString('hex')}-01`;
}

const REFUSED_TLS =
  /CERTIFICATE_REVOKED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED|CERTIFICATE_REQUIRED/;
// [MQTT 3.1.1 §3.2.2.3: 4 bad user name or password, 5 not authorized]
const REFUSED_CONNACK = new Set([4, 5]);

/**
 * The MQTT link to the hub: connects with the agent's certificate (mutual TLS), sends the
 * queue (alarms first, then readings in batches whose size follows the backlog), deletes
 * a batch only on its `down/ack`, publishes the retained heartbeat with an `offline` last
 * will, and applies `down/config`. Reconnects with exponential backoff and full jitter.
 *
 * @example
 * ```ts
 * const uplink = new Uplink({ credentials, mqttUrl, queue, seq, skew, log, ... });
 * uplink.start();
 * queue.append(groups); uplink.kick();
 * ```
 */
export class Uplink {
  #options: UplinkOptions;
  #key: Uint8Array;
  #keyId: number;
  /** Keys `down/*` frames may be sealed with, by key id (current and previous). */
  #keys = new Map<number, Uint8Array>();
  #client?: MqttClient;
  #backoff: Backoff;
  #batch: AdaptiveBatch;
  #inFlight = new Map<string, InFlight>();
  #reconnect?: NodeJS.Timeout;
  #heartbeat?: NodeJS.Timeout;
  #state: LinkState = 'offline';
  #stopped = false;
  #pumping = false;
  #heartbeatMs = 30_000;

  constructor(options: UplinkOptions) {
    const url = new URL(options.mqttUrl);
    if (url.protocol === 'mqtt:' && !LOOPBACK.includes(url.hostname)) {
      throw new TypeError(
        `"mqttUrl": plain mqtt:// is allowed on loopback only, not ${url.hostname}`,
      );
    }
    if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') {
      throw new TypeError('"mqttUrl" must be mqtts://host:port (or mqtt:// on loopback)');
    }
    const c = options.credentials;
    this.#options = options;
    for (const p of c.previousHubKeys ?? []) {
      const hub = new Uint8Array(Buffer.from(p.hubSealingPublicKey, 'base64url'));
      this.#keys.set(
        p.keyId,
        deriveSealingKey(c.sealingPrivateKey, hub, { agentId: c.agentId, keyId: p.keyId }),
      );
    }
    this.#keyId = c.keyId;
    this.#key = deriveSealingKey(c.sealingPrivateKey, c.hubPublicKey, {
      agentId: c.agentId,
      keyId: c.keyId,
    });
    this.#keys.set(c.keyId, this.#key);
    this.#backoff = new Backoff(options.backoff);
    this.#batch = new AdaptiveBatch({ max: options.maxBatch, window: WINDOW });
  }

  get state(): LinkState {
    return this.#state;
  }

  /** The wire batch size the link currently aims for. */
  get batchTarget(): number {
    return this.#batch.target;
  }

  /** Starts connecting; `heartbeatMs` is the status interval. */
  start(heartbeatMs = 30_000): void {
    if (this.#stopped) {
      throw new InvalidStateError('uplink is stopped');
    }
    this.#heartbeatMs = heartbeatMs;
    this.#connect();
  }

  #topic(kind: 'obs' | 'alarm' | 'status') {
    return agentTopic(this.#options.credentials.agentId, 'up', kind);
  }

  #seal(kind: EnvelopeKind, seq: number, value: unknown): Buffer {
    const header = {
      kind,
      keyId: this.#keyId,
      agentId: this.#options.credentials.agentId,
      seq: BigInt(seq),
    };

    return Buffer.from(sealJson(header, value, this.#key));
  }

  #setState(state: LinkState, detail?: string): void {
    if (state === this.#state) {
      return;
    }
    this.#state = state;
    this.#options.onLinkState(state, detail);
  }

  #connect(): void {
    const { credentials: c, mqttUrl, log } = this.#options;
    const url = new URL(mqttUrl);
    if (this.#state !== 'revoked') {
      this.#setState('connecting');
    }
    const will = this.#seal(
      'status',
      this.#options.seq.next(),
      this.#options.buildStatus('offline'),
    );
    // [DESIGN: security baseline] TLS 1.3 on every link that leaves the host.
    const tls =
      url.protocol === 'mqtts:'
        ? {
            key: c.keyPem,
            cert: c.certificatePem,
            ca: c.caPem,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.3' as const,
          }
        : {};
    const client = mqtt.connect(mqttUrl, {
      clientId: c.agentId,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      // mqtt-packet's default pre-builds 65,536 two-byte Buffers (~6 MB of heap) for packet ids.
      writeCache: false,
      will: { topic: this.#topic('status'), payload: will, qos: 1, retain: true },
      ...tls,
    });
    this.#client = client;
    let refusal: string | undefined;

    client.on('connect', () => {
      log.info({ event: 'linkUp', broker: url.host }, 'connected to hub');
      this.#backoff.reset();
      this.#setState('online');
      const subs = {
        [agentTopic(c.agentId, 'down', 'ack')]: { qos: 1 as const },
        [agentTopic(c.agentId, 'down', 'config')]: { qos: 1 as const },
      };
      client.subscribe(subs, (error) => {
        if (error) {
          log.warn(
            { event: 'subscribeFailed', err: error.message },
            'subscribe to down topics failed',
          );
        }
      });
      this.publishStatus();
      this.#heartbeat = setInterval(() => this.publishStatus(), this.#heartbeatMs);
      this.kick();
    });
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    client.on('error', (error: Error & { code?: string | number }) => {
      const code = error.code;
      if (
        (typeof code === 'number' && REFUSED_CONNACK.has(code)) ||
        REFUSED_TLS.test(String(code ?? error.message))
      ) {
        refusal = typeof code === 'number' ? `CONNACK ${code}` : String(code ?? 'TLS');
      } else {
        log.warn(
          { event: 'linkError', code: String(code ?? ''), err: error.message },
          'link error',
        );
      }
    });
    client.on('close', () => {
      if (client !== this.#client) {
        return;
      }
      this.#onClose(refusal);
    });
  }

  #onClose(refusal: string | undefined): void {
    const { log } = this.#options;
    clearInterval(this.#heartbeat);
    this.#client?.removeAllListeners('close');
    this.#client?.end(true);
    this.#client = undefined;
    for (const f of this.#inFlight.values()) {
      clearTimeout(f.timer);
    }
    this.#inFlight.clear();
    if (this.#stopped) {
      return;
    }
    let delay = this.#backoff.next();
    if (refusal !== undefined) {
      // The hub refuses this identity; retry rarely in case the revocation is lifted.
      delay = this.#options.backoff.maxMs;
      if (this.#state !== 'revoked') {
        log.error(
          { event: 'agentRevoked', reason: refusal },
          'hub refused this agent: revoked; re-enroll to resume',
        );
      }
      this.#setState('revoked', refusal);
    } else {
      if (this.#state !== 'offline') {
        log.warn({ event: 'linkDown', retryInMs: delay }, 'hub unreachable; queueing');
      }
      this.#setState('offline');
    }
    this.#reconnect = setTimeout(() => this.#connect(), delay);
  }

  #onMessage(topic: string, payload: Buffer): void {
    const { credentials: c, log } = this.#options;
    const kind =
      topic === agentTopic(c.agentId, 'down', 'ack')
        ? 'ack'
        : topic === agentTopic(c.agentId, 'down', 'config')
          ? 'config'
          : undefined;
    if (kind === undefined) {
      return;
    }
    let value: unknown;
    try {
      value = openJson(payload, {
        key: (h) => this.#keys.get(h.keyId),
        agentId: c.agentId,
        kind,
      }).value;
    } catch (error) {
      log.warn(
        { event: 'downRejected', topicKind: kind, code: (error as { code?: string }).code },
        'down message did not unseal',
      );

      return;
    }
    try {
      if (kind === 'ack') {
        this.#onAck(parseMessage('ack', value));
      } else {
        this.#options.onConfig(parseMessage('config', value));
      }
    } catch (error) {
      log.warn(
        {
          event: 'downRejected',
          topicKind: kind,
          code: (error as { code?: string }).code,
          err: (error as Error).message,
        },
        'down message invalid',
      );
    }
  }

  #onAck(ack: Ack): void {
    const { log, queue, skew } = this.#options;
    const key = `${ack.kind}:${ack.seq}`;
    const f = this.#inFlight.get(key);
    if (f === undefined) {
      log.debug(
        { event: 'ackUnknown', seq: ack.seq },
        'ack for a batch not in flight (late or duplicate)',
      );

      return;
    }
    clearTimeout(f.timer);
    this.#inFlight.delete(key);
    queue.remove(f.records);
    const now = Date.now();
    skew.observeAck(f.sentAt, now, Date.parse(ack.hubTime));
    this.#batch.onAck(now - f.sentAt, this.#options.ackTimeoutMs);
    if (ack.rejected.length > 0) {
      log.warn(
        { event: 'batchRejected', seq: ack.seq, rejected: ack.rejected.length },
        'hub rejected some readings as invalid',
      );
    }
    log.debug(
      {
        event: 'batchAcked',
        seq: ack.seq,
        kind: ack.kind,
        stored: ack.stored,
        duplicates: ack.duplicates,
      },
      'batch acknowledged',
    );
    this.kick();
  }

  /**
   * Seals every frame from now on under a new key id agreed with the hub's new public key;
   * `down/*` frames under the previous ids still open (acks of batches in flight).
   */
  useSealingKey(keyId: number, hubPublicKey: Uint8Array): void {
    const c = this.#options.credentials;
    const key = deriveSealingKey(c.sealingPrivateKey, hubPublicKey, {
      agentId: c.agentId,
      keyId,
    });
    this.#keys.set(keyId, key);
    this.#key = key;
    this.#keyId = keyId;
  }

  /** Sends what the queue holds, as far as the window allows. Call after each append. */
  kick(): void {
    if (this.#pumping || this.#client?.connected !== true) {
      return;
    }
    this.#pumping = true;
    try {
      while (this.#inFlight.size < WINDOW && this.#sendNext()) {
        // Keep filling the window.
      }
    } catch (error) {
      this.#options.log.error(
        {
          event: 'sendFailed',
          code: (error as { code?: string }).code,
          err: (error as Error).message,
        },
        'could not send from the queue',
      );
    } finally {
      this.#pumping = false;
    }
  }

  #inFlightRecords(): Set<number> {
    return new Set([...this.#inFlight.values()].flatMap((f) => f.records));
  }

  #sendNext(): boolean {
    const { queue, seq, credentials: c } = this.#options;
    const busy = this.#inFlightRecords();
    const alarms = queue.take('alarm', RECORDS_PER_TAKE, busy);
    if (alarms.length > 0) {
      const picked = this.#pick(alarms, MAX_ALARMS);
      const n = seq.next();
      const body = {
        agentId: c.agentId,
        seq: n,
        sentAt: new Date().toISOString(),
        alarms: picked.flatMap((r) => r.items),
        traceparent: newTraceparent(),
      };
      this.#publish('alarm', n, body, picked);

      return true;
    }
    // [DESIGN: up/alarm is sent before any queued batch] readings wait for alarm acks.
    if ([...this.#inFlight.values()].some((f) => f.kind === 'alarm')) {
      return false;
    }
    const records = queue.take('obs', RECORDS_PER_TAKE, busy);
    if (records.length === 0) {
      return false;
    }
    const inFlight = [...this.#inFlight.values()].reduce((n, f) => n + f.bytes, 0);
    const backlog = estimateBacklog(records, queue.bytes - inFlight);
    const picked = this.#pick(records, this.#batch.sizeFor(backlog));
    const n = seq.next();
    const body = {
      agentId: c.agentId,
      seq: n,
      sentAt: new Date().toISOString(),
      observations: picked.flatMap((r) => r.items),
      traceparent: newTraceparent(),
    };
    this.#publish('obs', n, body, picked);

    return true;
  }

  /**
   * Whole records in send order up to `max` items and the broker's packet size; a record
   * larger than the packet alone is still sent (and logged), as records go only whole.
   */
  #pick(records: readonly QueuedRecord[], max: number): QueuedRecord[] {
    const budget = (this.#options.maxPacketBytes ?? DEFAULT_MAX_PACKET) - PACKET_HEADROOM;
    const picked = pickRecords(records, max, budget);
    const bytes = picked.reduce((n, r) => n + r.bytes, 0);
    if (bytes > budget) {
      this.#options.log.error(
        { event: 'recordOverPacketLimit', recordId: picked[0]?.id, bytes, budget },
        'a queued record is larger than the broker packet limit; raise uplink.maxPacketBytes',
      );
    }

    return picked;
  }

  #publish(
    kind: RecordKind,
    seq: number,
    body: { traceparent: string },
    records: readonly QueuedRecord[],
  ): void {
    const client = this.#client;
    if (client === undefined) {
      return;
    }
    // The agent exports no spans itself: its trace id in the log ties this batch to the hub's
    // ingest → alert → console spans, which are children of this traceparent.
    this.#options.log.debug(
      { event: 'batchSent', kind, seq, traceId: body.traceparent.slice(3, 35) },
      'batch sent',
    );
    const key = `${kind}:${seq}`;
    const timer = setTimeout(() => this.#onAckTimeout(key), this.#options.ackTimeoutMs);
    const bytes = records.reduce((n, r) => n + r.bytes, 0);
    const ids = records.map((r) => r.id);
    this.#inFlight.set(key, { kind, records: ids, bytes, sentAt: Date.now(), timer });
    client.publish(this.#topic(kind), this.#seal(kind, seq, body), { qos: 1 }, (error) => {
      if (error) {
        this.#options.log.debug(
          { event: 'publishFailed', seq, err: error.message },
          'publish failed; will resend',
        );
      }
    });
  }

  #onAckTimeout(key: string): void {
    const f = this.#inFlight.get(key);
    if (f === undefined) {
      return;
    }
    this.#inFlight.delete(key);
    this.#batch.onTimeout();
    this.#options.log.warn(
      { event: 'ackTimeout', batch: key, records: f.records.length },
      'no ack in time; the batch will be resent under a new seq',
    );
    this.kick();
  }

  /** Publishes the retained heartbeat now (no-op while disconnected). */
  publishStatus(): void {
    const client = this.#client;
    if (client?.connected !== true) {
      return;
    }
    const status = this.#options.buildStatus('online');
    client.publish(
      this.#topic('status'),
      this.#seal('status', this.#options.seq.next(), status),
      { qos: 1, retain: true },
      (error) => {
        if (error) {
          this.#options.log.debug(
            { event: 'statusFailed', err: error.message },
            'status publish failed',
          );
        }
      },
    );
  }

  /** Says `offline` in the retained status, disconnects and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.#stopped) {
      return;
    }
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    clearInterval(this.#heartbeat);
    for (const f of this.#inFlight.values()) {
      clearTimeout(f.timer);
    }
    this.#inFlight.clear();
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) {
      return;
    }
    if (client.connected) {
      const offline = this.#seal(
        'status',
        this.#options.seq.next(),
        this.#options.buildStatus('offline'),
      );
      // The broker's last will says offline anyway when this does not get through.
      await client
        .publishAsync(this.#topic('status'), offline, { qos: 1, retain: true })
        .catch(this.#noteStopFailure('offlineStatusNotSent'));
    }
    await client.endAsync(true).catch(this.#noteStopFailure('disconnectFailed'));
    this.#setState('offline');
  }

  #noteStopFailure(event: string): (error: unknown) => void {
    return (error) => {
      const code = (error as { code?: string | number }).code ?? (error as Error).name;
      this.#options.log.warn(
        { event, code },
        'uplink stop was not clean; the hub sees the last will',
      );
    };
  }
}
