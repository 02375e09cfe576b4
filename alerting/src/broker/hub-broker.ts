import { agentTopic, parseAgentTopic, type DownKind, type UpKind } from '@sparkden/protocol';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { EventEmitter } from 'node:events';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { pino, type Logger } from 'pino';

import { alertingLogger } from '../log/safe-error.js';
import { identifyPeer } from './agent-identity.js';
import {
  connectRedisBackplane,
  type RedisBackplane,
  type RedisBackplaneOptions,
} from './redis-backplane.js';
import { mayPublish, maySubscribe } from './topic-policy.js';

/** What the broker asks about an agent before letting it in. */
export interface AgentAccess {
  /** Enrolled, not revoked, and this is its current certificate. */
  isCertificateAccepted(agentId: string, serial: string): boolean;
  /** Enrolled and not revoked (the loopback development listener checks only this). */
  isActive(agentId: string): boolean;
  /** Reloads from the database: another hub may have enrolled the agent since. */
  refresh?(): Promise<void>;
}

/** Options of {@link HubBroker}. */
export interface HubBrokerOptions {
  access: AgentAccess;
  /** The mutual-TLS listener agents use. */
  tls: { port: number; host?: string; certPem: string; keyPem: string; caPem: string };
  /** A plain MQTT listener for development; refused unless bound to loopback. */
  plain?: { port: number; host?: string };
  /**
   * Redis shared with other hubs' brokers: an agent connected to any of them gets the
   * `down/*` frames every hub publishes, and retained messages and wills are shared.
   */
  redis?: RedisBackplaneOptions;
  logger?: Logger;
}

/** Ports actually bound by {@link HubBroker.start}. */
export interface BrokerPorts {
  tls: number;
  plain?: number;
}

/** A frame an agent published on its own `up/*` topic. */
export interface AgentFrame {
  agentId: string;
  kind: UpKind;
  payload: Buffer;
  retain: boolean;
  /**
   * Epoch ms when the broker took the PUBLISH packet in (its `authorizePublish`), for the
   * `broker.publish` span; absent on links that cannot tell (a broker upstream).
   */
  arrivedAt?: number;
}

/** Events of a {@link HubBroker}. */
export interface HubBrokerEvents {
  /** A frame an agent published on its own `up/*` topic. */
  agentMessage: [message: AgentFrame];
  agentConnected: [agentId: string];
  agentDisconnected: [agentId: string];
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// [MQTT-3.2.2.3: CONNACK return codes] 2 identifier rejected, 5 not authorized.
// [MQTT-3.1.1 3.2.2.3] 2 identifier rejected, 3 server unavailable, 5 not authorized
function refusal(returnCode: 2 | 3 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode });
}

/** MQTT 3.1.1 CONNACK, return code 5: connection refused, not authorized. */
const CONNACK_NOT_AUTHORIZED = Buffer.from([0x20, 0x02, 0x00, 0x05]);

/**
 * Answers a refused certificate's first packet with CONNACK 5 and closes, without handing the
 * socket to aedes: the agent learns it was refused (revoked) rather than that the hub is down.
 */
function refuseAsNotAuthorized(socket: Socket): void {
  socket.setTimeout(10_000, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.once('data', () => socket.end(CONNACK_NOT_AUTHORIZED));
}

function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The hub's MQTT 3.1.1 broker (aedes) for agents: TLS 1.3 with mutual TLS against the hub
 * CA, the agent id taken from the certificate CN and required to equal the MQTT client
 * id, each agent confined to its own topics (publish `up/*`, subscribe `down/*`). The hub
 * publishes `down/ack` and `down/config` through {@link HubBroker.publishToAgent}. With
 * `redis`, several hubs' brokers form one: a frame any of them publishes reaches the agent
 * wherever it is connected.
 *
 * @example
 * ```ts
 * const broker = new HubBroker({ access: fleet, tls: { port: 8883, certPem, keyPem, caPem } });
 * broker.on('agentMessage', (m) => ingest.handle(m));
 * const ports = await broker.start();
 * ```
 */
export class HubBroker extends EventEmitter<HubBrokerEvents> {
  readonly #options: HubBrokerOptions;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Map<string, Client>();
  /** When each agent PUBLISH packet reached aedes, until its `publish` event. */
  readonly #arrivals = new WeakMap<object, number>();
  #aedes?: Aedes;
  #backplane?: RedisBackplane;
  #refreshing?: Promise<void>;
  #servers: Server[] = [];

  constructor(options: HubBrokerOptions) {
    super();
    if (options.plain && !LOOPBACK.has(options.plain.host ?? '127.0.0.1')) {
      throw new TypeError('"plain.host" must be a loopback address: plain MQTT is for development');
    }
    this.#options = options;
    this.#log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:broker');
  }

  /** Starts aedes and the listeners; resolves with the ports bound. */
  async start(): Promise<BrokerPorts> {
    const access = this.#options.access;
    const log = this.#log;
    const redis = this.#options.redis;
    const backplane = redis === undefined ? undefined : await connectRedisBackplane(redis, log);
    this.#backplane = backplane;
    const aedes = await Aedes.createBroker({
      mq: backplane?.mq,
      persistence: backplane?.persistence,
      authenticate: (client, _user, _pass, done) => {
        const peer = identifyPeer(client.conn);
        if (peer.kind === 'certificate' && peer.agentId !== client.id) {
          log.warn({ agentId: peer.agentId, code: 'CLIENT_ID_MISMATCH' }, 'connect refused');
          done(refusal(2, 'client id must equal the certificate CN'), false);
        } else if (
          peer.kind === 'certificate' &&
          !access.isCertificateAccepted(peer.agentId, peer.serial)
        ) {
          // An agent enrolled through another hub is unknown here until a refresh.
          this.#refresh().then(
            () => {
              if (access.isCertificateAccepted(peer.agentId, peer.serial)) {
                done(null, true);

                return;
              }
              log.warn({ agentId: peer.agentId, code: 'CERTIFICATE_REFUSED' }, 'connect refused');
              done(refusal(5, 'certificate revoked or unknown'), false);
            },
            () => {
              log.warn({ agentId: peer.agentId, code: 'FLEET_UNAVAILABLE' }, 'connect refused');
              done(refusal(3, 'fleet registry unavailable'), false);
            },
          );
        } else if (
          peer.kind === 'none' ||
          (peer.kind === 'loopback' && !access.isActive(client.id))
        ) {
          log.warn({ code: 'NOT_AUTHORIZED' }, 'connect refused');
          done(refusal(5, 'not authorized'), false);
        } else {
          done(null, true);
        }
      },
      authorizePublish: (client, packet, done) => {
        if (client === null || mayPublish(client.id, packet.topic, packet.retain)) {
          // aedes hands this same packet object to its `publish` event once stored and routed.
          this.#arrivals.set(packet, Date.now());
          done(null);

          return;
        }
        log.warn({ agentId: client.id, code: 'PUBLISH_REFUSED' }, 'publish refused');
        done(new Error('topic not allowed'));
      },
      authorizeSubscribe: (client, sub, done) => {
        if (maySubscribe(client.id, sub.topic)) {
          done(null, sub);

          return;
        }
        log.warn({ agentId: client.id, code: 'SUBSCRIBE_REFUSED' }, 'subscribe refused');
        // [MQTT-3.9.3: return code 0x80 is a failure for that topic]
        done(null, null);
      },
    });
    this.#aedes = aedes;
    this.#wire(aedes);

    const tls = this.#options.tls;
    const tlsServer = createTlsServer(
      {
        cert: tls.certPem,
        key: tls.keyPem,
        ca: tls.caPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.3',
      },
      (socket) => this.#admit(socket, aedes),
    );
    tlsServer.on('tlsClientError', (error: NodeJS.ErrnoException) => {
      log.warn({ code: 'TLS_HANDSHAKE', reason: error.code }, 'TLS handshake failed');
    });
    const servers: Server[] = [tlsServer];
    const ports: BrokerPorts = { tls: 0 };
    this.#track(tlsServer);
    ports.tls = await listen(tlsServer, tls.port, tls.host);
    if (this.#options.plain) {
      const plain = createNetServer((socket) => aedes.handle(socket));
      this.#track(plain);
      servers.push(plain);
      ports.plain = await listen(
        plain,
        this.#options.plain.port,
        this.#options.plain.host ?? '127.0.0.1',
      );
      log.warn({ port: ports.plain }, 'plain MQTT listener on loopback (development only)');
    }
    this.#servers = servers;
    log.info({ ports, shared: backplane?.keyPrefix }, 'broker listening');

    return ports;
  }

  /**
   * Publishes a sealed frame to one agent's `down/*` topic (QoS 1). A retained frame with
   * an empty payload clears the retained message.
   */
  publishToAgent(
    agentId: string,
    kind: DownKind,
    payload: Uint8Array,
    options: { retain?: boolean } = {},
  ): Promise<void> {
    const aedes = this.#aedes;
    if (aedes === undefined || aedes.closed) {
      return Promise.reject(new Error('broker is not running'));
    }

    return new Promise((resolve, reject) => {
      aedes.publish(
        {
          cmd: 'publish',
          topic: agentTopic(agentId, 'down', kind),
          payload: Buffer.from(payload),
          qos: 1,
          retain: options.retain ?? false,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** Drops every live connection of an agent (after revocation). */
  disconnectAgent(agentId: string): boolean {
    const client = this.#clients.get(agentId);
    if (client === undefined) {
      return false;
    }

    client.close();
    this.#log.info({ agentId }, 'agent disconnected by the hub');

    return true;
  }

  /** The agents with a live MQTT session now. */
  connectedAgents(): string[] {
    return [...this.#clients.keys()];
  }

  /** Whether an agent has a live MQTT session now. */
  isConnected(agentId: string): boolean {
    return this.#clients.has(agentId);
  }

  /** Closes the listeners, every connection and aedes. */
  async close(): Promise<void> {
    const aedes = this.#aedes;
    this.#aedes = undefined;
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await Promise.all(
      this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    this.#servers = [];
    if (aedes !== undefined) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    }
    await this.#backplane?.close();
    this.#backplane = undefined;
  }

  /** Whether every listener is accepting connections (false before start, after close). */
  isListening(): boolean {
    return this.#servers.length > 0 && this.#servers.every((s) => s.listening);
  }

  // Refused before MQTT: a revoked certificate never reaches CONNECT.
  #admit(socket: TLSSocket, aedes: Aedes) {
    const access = this.#options.access;
    const peer = identifyPeer(socket);
    if (peer.kind !== 'certificate') {
      this.#log.warn({ code: 'TLS_REFUSED' }, 'connection refused');
      socket.destroy();

      return;
    }
    if (access.isCertificateAccepted(peer.agentId, peer.serial)) {
      aedes.handle(socket);

      return;
    }

    // Enrolled, or given a new certificate, through another hub: unknown here until a
    // refresh. Whatever the agent sends meanwhile waits in the socket's buffer.
    this.#refresh().then(
      () => {
        if (access.isCertificateAccepted(peer.agentId, peer.serial)) {
          aedes.handle(socket);

          return;
        }
        this.#log.warn({ agentId: peer.agentId, code: 'TLS_REFUSED' }, 'connection refused');
        refuseAsNotAuthorized(socket);
      },
      () => {
        // Not a refusal: the agent must not take an unreachable registry for revocation.
        this.#log.warn({ agentId: peer.agentId, code: 'FLEET_UNAVAILABLE' }, 'connect dropped');
        socket.destroy();
      },
    );
  }

  // One reload at a time, however many unknown certificates arrive together.
  #refresh(): Promise<void> {
    const access = this.#options.access;
    if (access.refresh === undefined) {
      return Promise.resolve();
    }
    this.#refreshing ??= access.refresh().finally(() => (this.#refreshing = undefined));

    return this.#refreshing;
  }

  // Raw sockets of every listener, so close() can end live connections.
  #track(server: Server) {
    server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  #wire(aedes: Aedes) {
    aedes.on('client', (client) => {
      this.#clients.set(client.id, client);
      this.#log.info({ agentId: client.id }, 'agent connected');
      this.emit('agentConnected', client.id);
    });
    aedes.on('clientDisconnect', (client) => {
      if (this.#clients.get(client.id) === client) {
        this.#clients.delete(client.id);
        this.#log.info({ agentId: client.id }, 'agent disconnected');
        this.emit('agentDisconnected', client.id);
      }
    });
    aedes.on('clientError', (client, error) => {
      this.#log.warn({ agentId: client.id, reason: error.message }, 'client error');
    });
    // NOTE: aedes emits `publish` only on the broker the publishing client is connected to;
    // what other hubs route here through Redis goes to subscribers alone. So each `up/*`
    // frame reaches the ingest of exactly one hub, the one holding the agent's connection.
    aedes.on('publish', (packet, client) => {
      const parsed = client === null ? undefined : parseAgentTopic(packet.topic);
      if (client === null || parsed === undefined || parsed.direction !== 'up') {
        return;
      }
      this.emit('agentMessage', {
        agentId: parsed.agentId,
        kind: parsed.kind as UpKind,
        payload: Buffer.from(packet.payload),
        retain: packet.retain,
        arrivedAt: this.#arrivals.get(packet),
      });
    });
  }
}
