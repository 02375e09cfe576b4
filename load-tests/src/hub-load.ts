/**
 * The hub side of the hub benches: the alerting service on a scratch PostgreSQL database,
 * agents enrolled through the real token + CSR + key-agreement path, the database check
 * that every sent reading was stored, and agents as connections of the MQTT driver.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import {
  createAlertingService,
  createScratchDatabase,
  enrollTestAgent,
  type AlertingService,
  type TestAgent,
} from '@sparkden/alerting';
import { agentTopic } from '@sparkden/protocol';
import { pino } from 'pino';

import type { DriverTarget } from './mqtt-driver.js';
import { cleanupStack } from './report.js';

/** A running hub (alerting service) on its own scratch database. */
export interface BenchHub {
  readonly service: AlertingService;
  /** `mqtts://127.0.0.1:<port>`, the mutual-TLS listener agents connect to. */
  readonly url: string;
  /** Warnings and errors the hub logged (each is also echoed to stderr). */
  readonly logged: { warn: number; error: number };
  /** Rows in `vitals.observation`. */
  countRows(): Promise<number>;
  /** The ids among `ids` that have no row in `vitals.observation`. */
  missingIds(ids: readonly string[]): Promise<string[]>;
  /** `show server_version`, e.g. `15.20`. */
  serverVersion(): Promise<string>;
  /** Stops the service, drops the database and removes the data folder; runs once. */
  close(): Promise<void>;
}

const ID_CHUNK = 10_000;

/**
 * Starts the alerting service (rule engine on) on a free port; its cleanup also runs with
 * the bench's others (see {@link cleanupStack}). The hub logs at `warn`; each such line is
 * counted and echoed to stderr.
 */
export async function startBenchHub(): Promise<BenchHub> {
  const logged = { warn: 0, error: 0 };
  const counter = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const level = (JSON.parse(line) as { level?: number }).level ?? 0;
        // [pino levels: 40 warn, 50 error, 60 fatal]
        if (level >= 50) {
          logged.error++;
        } else if (level >= 40) {
          logged.warn++;
        }
        process.stderr.write(`hub log: ${line}\n`);
      }
      done();
    },
  });
  const stack = cleanupStack();
  const scratch = await createScratchDatabase('sd_bench');
  stack.add(() => scratch.drop());
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-bench-'));
  stack.add(() => rm(dataDir, { recursive: true, force: true }));
  const service = await createAlertingService({
    dataDir,
    databaseUrl: scratch.url,
    mqtt: { port: 0, host: '127.0.0.1' },
    engine: {},
    logger: pino({ level: 'warn' }, counter),
  });
  stack.add(() => service.stop());
  const { mqtt: ports } = await service.start();
  const db = service.db;

  return {
    service,
    url: `mqtts://127.0.0.1:${ports.tls}`,
    logged,
    async countRows() {
      const r = await db.query<{ n: string }>('select count(*)::int8 n from vitals.observation');

      return Number(r.rows[0]?.n ?? 0);
    },
    async missingIds(ids) {
      const missing: string[] = [];
      for (let i = 0; i < ids.length; i += ID_CHUNK) {
        const r = await db.query<{ id: string }>(
          `select s.id::text from unnest($1::uuid[]) s(id)
            where not exists (select 1 from vitals.observation o where o.id = s.id)`,
          [ids.slice(i, i + ID_CHUNK)],
        );
        missing.push(...r.rows.map((row) => row.id));
      }

      return missing;
    },
    async serverVersion() {
      const r = await db.query<{ server_version: string }>('show server_version');

      return r.rows[0]?.server_version.split(' ')[0] ?? '?';
    },
    close: () => stack.close(),
  };
}

/** Enrolls `n` agents one after another, as `sparkden-agent enroll` would. */
export async function enrollAgents(hub: BenchHub, n: number): Promise<TestAgent[]> {
  const agents: TestAgent[] = [];
  for (let i = 0; i < n; i++) {
    agents.push(await enrollTestAgent(hub.service.fleet, 'bench'));
  }

  return agents;
}

/** `agent` as a driver connection to the hub: publish `up/obs`, wait for its sealed ack. */
export function hubTarget(hub: BenchHub, agent: TestAgent): DriverTarget {
  return {
    url: hub.url,
    clientId: agent.agentId,
    tls: { key: agent.keyPem, cert: agent.certPem, ca: agent.caPem },
    publishTopic: agentTopic(agent.agentId, 'up', 'obs'),
    replyTopic: agentTopic(agent.agentId, 'down', 'ack'),
    sealed: { agentId: agent.agentId, sealingKey: agent.sealingKey },
  };
}

/** `agent` as a driver connection to another broker, which echoes each frame back. */
export function echoTarget(url: string, agent: TestAgent, tls: boolean): DriverTarget {
  const topic = agentTopic(agent.agentId, 'up', 'obs');

  // One Mosquitto serves both listeners: a second session under the same client id would
  // take the first one over [MQTT-3.1.4-2].
  return {
    url,
    clientId: tls ? agent.agentId : `${agent.agentId}-plain`,
    tls: tls ? { key: agent.keyPem, cert: agent.certPem, ca: agent.caPem } : undefined,
    publishTopic: topic,
    replyTopic: topic,
  };
}
