/**
 * The agent talks to any MQTT 3.1.1 broker: a real `sparkden-agent` process (the demo's,
 * reading a simulated oximeter on a pseudo-terminal) is told Mosquitto's address instead of
 * the hub's broker; the hub is one more client of that Mosquitto. Readings are stored, and
 * the agent's queue empties only through acks that went back through Mosquitto.
 */
import {
  CertificateAuthority,
  createScratchDatabase,
  issueTestClientCertificate,
  startTestMosquitto,
} from '@sparkden/alerting';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { startHub } from '../hub.js';

const agentBin = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

const ca = await CertificateAuthority.create('mosquitto agent test CA');
const mosquitto = await startTestMosquitto({ ca });
const hubClient = await issueTestClientCertificate(ca, 'sparkden-hub');
const scratch = await createScratchDatabase('sd_mosq_agent');
const dataDir = mkdtempSync(join(tmpdir(), 'sd-mosq-agent-'));
const hub = await startHub({
  dataDir,
  databaseUrl: scratch.url,
  httpPort: 0,
  mqttPort: 0,
  mqttHost: '127.0.0.1',
  ca: { certPem: ca.pem, keyPem: await ca.exportKeyPem() },
  mqttUpstream: { url: mosquitto.url, clientId: 'sparkden-hub', ...hubClient },
  demo: true,
  demoMqttUrl: mosquitto.url,
  demoAgentLogLevel: 'warn',
  sfu: false,
  webRoot: join(dataDir, 'no-web-client'),
  logger: pino({ level: 'silent' }),
});
const sql = new pg.Client({ connectionString: scratch.url });
await sql.connect();

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

test('readings of a real agent connected to Mosquitto are stored, and acked through it', async () => {
  const stored = await waitFor('readings from the demo agent', async () => {
    const { rows } = await sql.query<{ agent_id: string; n: number }>(
      `select agent_id, count(*)::int as n from vitals.observation
       where patient = 'demo-patient-1' group by agent_id`,
    );

    return rows[0]?.n >= 5 ? rows[0] : undefined;
  });
  // Mosquitto saw the agent connect under its certificate name.
  assert.ok(
    mosquitto.output.some((l) => l.includes(`as ${stored.agent_id}`)),
    `Mosquitto never saw ${stored.agent_id}`,
  );

  // Readings are already stored, so they were queued; the agent deletes a batch only on its
  // ack, so an empty queue with nothing dropped means acks came back through Mosquitto.
  const status = await waitFor('an acked, empty agent queue', async () => {
    const out = await run(process.execPath, [
      agentBin,
      'status',
      '--state-dir',
      hub.demo!.agentStateDir,
      '--json',
    ])
      .then((r) => r.stdout)
      .catch((e: { stdout?: string }) => e.stdout ?? '{}');
    const s = JSON.parse(out) as { queue?: { depth: number }; queueDetail?: { dropped: number } };

    return s.queue?.depth === 0 ? s : undefined;
  });

  assert.is(status.queueDetail?.dropped, 0);

  const { rows } = await sql.query<{ dupes: number }>(
    `select count(*)::int as dupes from (select id from vitals.observation
     group by id having count(*) > 1) d`,
  );

  assert.is(rows[0].dupes, 0);
});

test.after(async () => {
  await sql.end();
  await hub.stop();
  await mosquitto.stop();
  await scratch.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
