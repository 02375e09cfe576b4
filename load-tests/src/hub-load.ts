/**
 * Shared pieces of the hub benches: a hub on a scratch PostgreSQL database, enrolled
 * agents, sealed batches, and an agent that keeps a window of batches in flight over
 * mutual TLS until the hub acks each one.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  createAlertingService,
  createScratchDatabase,
  enrollTestAgent,
  type AlertingService,
  type TestAgent,
} from '@sparkden/alerting';
import {
  ackSchema,
  agentTopic,
  createObservation,
  openJson,
  sealJson,
  type Ack,
  type Observation,
} from '@sparkden/protocol';
import mqtt from 'mqtt';
import { pino } from 'pino';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running hub (alerting service) on its own scratch database. */
export interface BenchHub {
  readonly service: AlertingService;
  /** The mutual-TLS port agents connect to. */
  readonly tlsPort: number;
  /** Rows in `vitals.observation`. */
  countRows(): Promise<number>;
  /** Stops the service, drops the database and removes the data folder. */
  close(): Promise<void>;
}

/** Starts the alerting service (rule engine on unless `engine: false`) on port 0. */
export async function startBenchHub(options: { engine?: boolean } = {}): Promise<BenchHub> {
  const scratch = await createScratchDatabase('sd_bench');
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-bench-'));
  const service = await createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: options.engine === false ? false : {},
    logger: pino({ level: 'warn' }),
  });
  const { mqtt: ports } = await service.start();

  return {
    service,
    tlsPort: ports.tls,
    async countRows() {
      const r = await service.db.query<{ n: string | number }>(
        'select count(*)::int8 n from vitals.observation',
      );

      return Number(r.rows[0]?.n ?? 0);
    },
    async close() {
      await service.stop();
      await scratch.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Enrolls `n` agents through the real token + CSR + key-agreement path. */
export async function enrollAgents(hub: BenchHub, n: number): Promise<TestAgent[]> {
  const agents: TestAgent[] = [];
  for (let i = 0; i < n; i++) {
    agents.push(await enrollTestAgent(hub.service.fleet, 'bench'));
  }

  return agents;
}

/**
 * `count` ordinary readings (SpO2 and heart rate alternating, in normal ranges, so no rule
 * fires) from one agent's oximeters, one patient per `perPatient` readings.
 */
export function makeReadings(agentId: string, first: number, count: number): Observation[] {
  const t0 = Date.now() - 3_600_000;
  const readings: Observation[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    const isSpo2 = n % 2 === 0;
    readings.push(
      createObservation({
        patient: `p-${agentId.slice(0, 8)}-${n % 25}`,
        device: { id: `${agentId}-ox-${n % 25}`, model: 'CMS50D+', transport: 'serial' },
        code: isSpo2 ? 'spo2' : 'heart-rate',
        value: isSpo2 ? 95 + (n % 5) : 62 + (n % 30),
        effectiveAt: new Date(t0 + n * 100).toISOString(),
      }),
    );
  }

  return readings;
}

/** Seals one batch the way the agent does (`seq` names it in the hub's ack). */
export function sealBatch(agent: TestAgent, seq: number, observations: Observation[]): Uint8Array {
  return sealJson(
    { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: BigInt(seq) },
    { agentId: agent.agentId, seq, sentAt: new Date().toISOString(), observations },
    agent.sealingKey,
  );
}

/** One enrolled agent connected over mutual TLS and subscribed to its acks. */
export interface BenchAgent {
  readonly agent: TestAgent;
  /**
   * Publishes `frames` QoS 1 keeping at most `window` unacknowledged; resolves when the hub
   * has acked every one, with the rows it reported stored.
   */
  send(frames: Uint8Array[], window: number): Promise<{ stored: number; rejected: number }>;
  /** Publishes one frame QoS 1; resolves on the broker's PUBACK. */
  publish(frame: Uint8Array): Promise<void>;
  /** Calls `listener` with each ack, for callers that pace their own publishing. */
  onAck(listener: (ack: Ack) => void): void;
  /** The underlying MQTT.js client, for its `error` and `close` events. */
  readonly client: mqtt.MqttClient;
  close(): Promise<void>;
}

/** Connects `agent` to the hub's mutual-TLS listener. */
export async function connectAgent(hub: BenchHub, agent: TestAgent): Promise<BenchAgent> {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${hub.tlsPort}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });
  const topic = agentTopic(agent.agentId, 'up', 'obs');
  let onAck: ((stored: number, rejected: number) => void) | undefined;
  const listeners: Array<(ack: Ack) => void> = [];
  client.on('message', (_t, payload) => {
    const { value } = openJson(payload, {
      key: () => agent.sealingKey,
      agentId: agent.agentId,
      kind: 'ack',
    });
    const ack = ackSchema.parse(value);
    onAck?.(ack.stored + ack.duplicates, ack.rejected.length);
    for (const listener of listeners) {
      listener(ack);
    }
  });

  return {
    agent,
    client,
    async publish(frame) {
      await client.publishAsync(topic, Buffer.from(frame), { qos: 1 });
    },
    onAck(listener) {
      listeners.push(listener);
    },
    send(frames, window) {
      let next = 0;
      let acked = 0;
      let stored = 0;
      let rejected = 0;

      return new Promise((resolve, reject) => {
        const publish = () => {
          const frame = frames[next++];
          if (frame !== undefined) {
            client.publish(topic, Buffer.from(frame), { qos: 1 }, (error) => {
              if (error) {
                reject(error);
              }
            });
          }
        };
        onAck = (s, r) => {
          acked++;
          stored += s;
          rejected += r;
          if (acked === frames.length) {
            onAck = undefined;
            resolve({ stored, rejected });
          } else {
            publish();
          }
        };
        client.once('error', reject);
        if (frames.length === 0) {
          resolve({ stored, rejected });
        }
        for (let i = 0; i < Math.min(window, frames.length); i++) {
          publish();
        }
      });
    },
    async close() {
      await client.endAsync();
    },
  };
}

/** The installed version of a hoisted package, for the bench's header line. */
export async function packageVersion(name: string): Promise<string> {
  try {
    const pkg = JSON.parse(
      await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: string };

    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

/** The PostgreSQL server's version, as `show server_version` prints it. */
export async function serverVersion(hub: BenchHub): Promise<string> {
  const r = await hub.service.db.query<{ server_version: string }>('show server_version');

  return r.rows[0]?.server_version.split(' ')[0] ?? '?';
}
