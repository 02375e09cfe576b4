import { randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

import {
  agentTopic,
  deriveSealingKey,
  generateSealingKeyPair,
  openJson,
  parseAgentTopic,
  parseMessage,
  sealJson,
  type AlarmMessage,
  type ObservationBatch,
} from '@sparkden/protocol';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import pg from 'pg';

import { createTestPki, type TestPki } from './test-pki.js';

// Test scaffolding only: a minimal hub that enrolls agents, runs an aedes broker, stores
// rows in a scratch PostgreSQL database (`on conflict do nothing` on the id) and acks a batch
// after its commit. It exists so the agent's fault tests run against real sockets and a real
// database; the product's hub lives in `alerting/`.

/** Options of {@link HubStandIn}. */
export interface HubStandInOptions {
  databaseUrl: string;
  /** Mutual TLS on the broker (default false: plain MQTT on loopback). */
  tls?: boolean;
}

interface KnownAgent {
  sealingKey: Uint8Array;
  keyId: number;
}

const SCHEMA = `
create table if not exists obs (
  id uuid primary key, agent_id text not null, code text not null, effective_at timestamptz not null,
  device_time timestamptz, quality text not null, batch_seq bigint not null, arrival int not null,
  value double precision
);
create table if not exists alarm (
  id uuid primary key, agent_id text not null, code text not null, reason text not null, observation_id uuid, arrival int not null
);
create table if not exists status (n serial primary key, agent_id text not null, state text not null, body jsonb not null);
`;

/** See the file comment: a stand-in hub for the agent's tests. */
export class HubStandIn {
  #options: HubStandInOptions;
  #pool!: pg.Pool;
  #pki?: TestPki;
  #hubKeys = generateSealingKeyPair();
  #agents = new Map<string, KnownAgent>();
  #tokens = new Set<string>();
  #revoked = new Set<string>();
  #broker?: Aedes;
  #server?: NetServer;
  #http?: HttpServer;
  #port = 0;
  #arrivals = 0;
  #downSeq = 0;
  /** Statuses seen, newest last (decoded). */
  readonly statuses: { agentId: string; state: string; body: Record<string, unknown> }[] = [];
  /** Set to make the hub hold acks (as if its ingest were stuck). */
  holdAcks = false;

  /** How many up messages arrived so far (each row stores its arrival number). */
  get arrivals(): number {
    return this.#arrivals;
  }

  constructor(options: HubStandInOptions) {
    this.#options = options;
  }

  get mqttUrl(): string {
    return `${this.#options.tls === true ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.#port}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${(this.#http?.address() as AddressInfo).port}`;
  }

  get pool(): pg.Pool {
    return this.#pool;
  }

  async start(): Promise<void> {
    this.#pool = new pg.Pool({ connectionString: this.#options.databaseUrl, max: 4 });
    this.#pool.on('error', () => undefined);
    await this.#pool.query(SCHEMA);
    if (this.#options.tls === true) {
      this.#pki = await createTestPki();
    }
    await this.startBroker();
    this.#http = createHttpServer((req, res) => void this.#enroll(req, res));
    await new Promise<void>((resolve) => this.#http?.listen(0, '127.0.0.1', resolve));
  }

  /**
   * A fresh one-time enrollment token, shaped like the hub's (`sdt_` prefix): a bare
   * base64url token may start with `-`, which a command line takes for an option.
   */
  issueToken(): string {
    const token = `sdt_${randomBytes(16).toString('base64url')}`;
    this.#tokens.add(token);

    return token;
  }

  /** Refuses the agent from now on and drops its connection. */
  revoke(agentId: string): void {
    this.#revoked.add(agentId);
    this.#agents.delete(agentId);
    for (const socket of this.#sockets) {
      socket.destroy();
    }
  }

  #sockets = new Set<Socket>();

  async #enroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) {
      chunks.push(c as Buffer);
    }
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      token: string;
      csrPem: string;
      sealingPublicKey: string;
    };
    if (req.url !== '/api/fleet/enroll' || !this.#tokens.delete(body.token)) {
      reply(401, { error: { code: 'TOKEN_INVALID', message: 'unknown or used token' } });

      return;
    }
    const agentId = `agent-${randomBytes(4).toString('hex')}`;
    const keyId = 1;
    const agentPub = new Uint8Array(Buffer.from(body.sealingPublicKey, 'base64url'));
    this.#agents.set(agentId, {
      keyId,
      sealingKey: deriveSealingKey(this.#hubKeys.privateKey, agentPub, { agentId, keyId }),
    });
    const certificatePem =
      this.#pki === undefined
        ? '-----BEGIN CERTIFICATE-----\nnone\n-----END CERTIFICATE-----\n'
        : await this.#pki.signCsr(body.csrPem, agentId);
    reply(200, {
      agentId,
      certificatePem,
      caPem: this.#pki?.caPem ?? certificatePem,
      hubSealingPublicKey: Buffer.from(this.#hubKeys.publicKey).toString('base64url'),
      keyId,
      mqttUrl: this.mqttUrl,
    });
  }

  /** Starts (or restarts, on the same port) the broker. */
  async startBroker(): Promise<void> {
    const broker = await Aedes.createBroker({
      authenticate: (client, _u, _p, done) => this.#authenticate(client, done),
      authorizePublish: (client, packet, cb) =>
        cb(
          client !== null && parseAgentTopic(packet.topic)?.agentId === client.id
            ? null
            : new Error('not yours'),
        ),
    });
    broker.on('publish', (packet, client) => {
      if (client !== null) {
        void this.#onPublish(packet.topic, packet.payload as Buffer);
      }
    });
    this.#broker = broker;
    const handle = (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    };
    const pki = this.#pki;
    const server =
      pki === undefined
        ? createNetServer(handle)
        : createTlsServer(
            {
              key: pki.serverKeyPem,
              cert: pki.serverCertPem,
              ca: pki.caPem,
              requestCert: true,
              rejectUnauthorized: true,
              minVersion: 'TLSv1.3',
            },
            handle,
          );
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
  }

  #authenticate(
    client: Client,
    done: (error: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const refuse = () =>
      done(Object.assign(new Error('not authorized'), { returnCode: 5 as const }), null);
    if (this.#revoked.has(client.id) || !this.#agents.has(client.id)) {
      refuse();

      return;
    }
    const socket = (client as unknown as { conn: TLSSocket }).conn;
    if (this.#pki !== undefined && socket.getPeerCertificate?.().subject?.CN !== client.id) {
      refuse();

      return;
    }
    done(null, true);
  }

  /** Stops the broker as if the hub went away (connections drop). */
  async stopBroker(): Promise<void> {
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
    await new Promise<void>((resolve) => this.#broker?.close(() => resolve()) ?? resolve());
  }

  /** Makes the database refuse the hub (connections cut, new ones refused), or lets it back. */
  async setDatabaseUp(up: boolean): Promise<void> {
    const name = new URL(this.#options.databaseUrl).pathname.slice(1);
    const admin = new pg.Client({
      connectionString: this.#options.databaseUrl.replace(/\/[^/]+$/, '/postgres'),
    });
    await admin.connect();
    try {
      await admin.query(`alter database ${name} allow_connections ${up ? 'true' : 'false'}`);
      if (!up) {
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [name],
        );
      }
    } finally {
      await admin.end();
    }
  }

  async #onPublish(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseAgentTopic(topic);
    if (parsed?.direction !== 'up') {
      return;
    }
    const agent = this.#agents.get(parsed.agentId);
    if (agent === undefined) {
      return;
    }
    const kind = parsed.kind as 'obs' | 'alarm' | 'status';
    const arrival = ++this.#arrivals;
    let value: unknown;
    try {
      value = openJson(payload, {
        key: () => agent.sealingKey,
        agentId: parsed.agentId,
        kind,
      }).value;
    } catch {
      return;
    }
    if (kind === 'status') {
      // An invalid heartbeat is recorded as such, for the test to fail on.
      let status: { state: string };
      try {
        status = parseMessage('status', value);
      } catch (error) {
        status = { state: `invalid: ${(error as Error).message}` };
      }
      this.statuses.push({
        agentId: parsed.agentId,
        state: status.state,
        body: value as Record<string, unknown>,
      });

      return;
    }
    if (this.holdAcks) {
      return;
    }
    try {
      const stored =
        kind === 'obs'
          ? await this.#storeObs(parsed.agentId, parseMessage('obs', value), arrival)
          : await this.#storeAlarms(parsed.agentId, parseMessage('alarm', value), arrival);
      const msg = value as { seq: number };
      const ack = {
        seq: msg.seq,
        kind,
        stored: stored.stored,
        duplicates: stored.total - stored.stored,
        rejected: [],
        hubTime: new Date().toISOString(),
      };
      this.#sendDown(parsed.agentId, 'ack', ack);
    } catch {
      // Database down: no ack; the agent resends after its ack timeout.
    }
  }

  #sendDown(agentId: string, kind: 'ack' | 'config', value: unknown, retain = false): void {
    const agent = this.#agents.get(agentId);
    if (agent === undefined) {
      return;
    }
    const frame = sealJson(
      { kind, keyId: agent.keyId, agentId, seq: BigInt(++this.#downSeq) },
      value,
      agent.sealingKey,
    );
    this.#broker?.publish(
      {
        cmd: 'publish',
        topic: agentTopic(agentId, 'down', kind),
        payload: Buffer.from(frame),
        qos: 1,
        retain,
        dup: false,
      },
      () => undefined,
    );
  }

  /** Pushes a config (retained) to an agent. */
  pushConfig(agentId: string, version: number, config: Record<string, unknown>): void {
    this.#sendDown(
      agentId,
      'config',
      { version, issuedAt: new Date().toISOString(), config },
      true,
    );
  }

  async #storeObs(agentId: string, batch: ObservationBatch, arrival: number) {
    const o = batch.observations;
    const r = await this.#pool.query(
      `insert into obs (id, agent_id, code, effective_at, device_time, quality, batch_seq, arrival, value)
       select id, $2, code, eff, dev, q, $3, $4, v from unnest($1::uuid[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::float8[]) as t(id, code, eff, dev, q, v)
       on conflict (id) do nothing`,
      [
        o.map((x) => x.id),
        agentId,
        batch.seq,
        arrival,
        o.map((x) => x.code),
        o.map((x) => x.effectiveAt),
        o.map((x) => x.deviceTime ?? null),
        o.map((x) => x.quality.join(',')),
        o.map((x) => x.value ?? null),
      ],
    );

    return { stored: r.rowCount ?? 0, total: o.length };
  }

  async #storeAlarms(agentId: string, msg: AlarmMessage, arrival: number) {
    const a = msg.alarms;
    const r = await this.#pool.query(
      `insert into alarm (id, agent_id, code, reason, observation_id, arrival)
       select id, $2, code, reason, oid, $3 from unnest($1::uuid[], $4::text[], $5::text[], $6::uuid[]) as t(id, code, reason, oid)
       on conflict (id) do nothing`,
      [
        a.map((x) => x.id),
        agentId,
        arrival,
        a.map((x) => x.code),
        a.map((x) => x.reason),
        a.map((x) => x.observationId ?? null),
      ],
    );

    return { stored: r.rowCount ?? 0, total: a.length };
  }

  async close(): Promise<void> {
    await this.stopBroker();
    await new Promise<void>((resolve) => this.#http?.close(() => resolve()) ?? resolve());
    this.#http?.closeAllConnections();
    await this.#pool.end();
  }
}
