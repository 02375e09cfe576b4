/**
 * The versions of the peers each bench compares against, printed by `npm run bench` before
 * each harness so every ratio stands beside the machine and the versions it was measured on,
 * also for benches in other packages that print none themselves.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { mosquittoVersion } from './mosquitto.js';
import { packageVersion } from './report.js';

/** One version a bench's numbers depend on. */
type Probe =
  | { kind: 'package'; name: string }
  | { kind: 'postgres' }
  | { kind: 'mosquitto' }
  | { kind: 'openssl' };

const pkg = (name: string): Probe => ({ kind: 'package', name });
const PG: Probe = { kind: 'postgres' };

// Bench file (relative to the repository) → what it runs and what it compares against.
const PEERS: Record<string, Probe[]> = {
  'device-drivers/src/decode.bench.ts': [],
  'protocol/src/envelope.bench.ts': [pkg('@noble/ciphers'), { kind: 'openssl' }],
  'alerting/src/store/ingest.bench.ts': [PG, pkg('pg'), pkg('pg-copy-streams'), pkg('aedes')],
  'alerting/src/alerts/mqtt-latency.bench.ts': [PG, pkg('aedes'), pkg('mqtt'), pkg('socket.io')],
  'alerting/src/alerts/latency.bench.ts': [PG, pkg('socket.io'), pkg('socket.io-client')],
  'gateway/src/fhir.bench.ts': [PG, pkg('hono'), pkg('@hono/node-server'), pkg('autocannon')],
  'gateway/src/billing/x12/remit-835.bench.ts': [pkg('node-x12')],
  'edge-agent/src/queue.bench.ts': [pkg('better-sqlite3'), pkg('@noble/ciphers')],
  'edge-agent/src/agent-rss.bench.ts': [pkg('@serialport/stream')],
  'sfu/src/consumers.bench.ts': [pkg('mediasoup')],
  'load-tests/src/mqtt-ingest.bench.ts': [{ kind: 'mosquitto' }, PG, pkg('aedes'), pkg('mqtt')],
  'load-tests/src/console-fanout.bench.ts': [PG, pkg('socket.io'), pkg('socket.io-client')],
  'load-tests/src/soak.bench.ts': [PG, pkg('aedes'), pkg('mqtt')],
};

async function postgresVersion(): Promise<string> {
  const url = process.env.SD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  try {
    const { stdout } = await promisify(execFile)(
      'psql',
      ['-XAt', '-c', 'show server_version', url],
      { timeout: 10_000 },
    );

    return `PostgreSQL ${stdout.trim().split(' ')[0]}`;
  } catch {
    return 'PostgreSQL (server unreachable)';
  }
}

async function probe(p: Probe): Promise<string> {
  switch (p.kind) {
    case 'package':
      return `${p.name} ${await packageVersion(p.name)}`;
    case 'postgres':
      return postgresVersion();
    case 'mosquitto':
      return mosquittoVersion();
    case 'openssl':
      return `node:crypto (OpenSSL ${process.versions.openssl})`;
  }
}

/** The bench files {@link versionsLine} knows the peers of. */
export function knownBenches(): string[] {
  return Object.keys(PEERS);
}

/**
 * `# versions: …` for one bench file: Node.js, then the packages and servers it measures or
 * compares against; Node.js alone for a bench not in the table.
 *
 * @example
 * ```ts
 * console.log(await versionsLine('gateway/src/fhir.bench.ts'));
 * // # versions: node v20.20.2, PostgreSQL 15.20, hono 4.13.23, @hono/node-server 2.1.11, …
 * ```
 */
export async function versionsLine(benchFile: string): Promise<string> {
  const probes = PEERS[benchFile.replaceAll('\\', '/')] ?? [];
  const parts = await Promise.all(probes.map(probe));

  return `# versions: node ${process.version}${parts.map((p) => `, ${p}`).join('')}`;
}
