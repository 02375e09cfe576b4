/**
 * Revocation against the real hub, not a stand-in: a real `sparkden-agent` process enrolls
 * with a one-time token, its readings are stored, then an IT admin revokes it through the
 * hub's REST API (`POST /api/fleet/agents/:id/revoke`). The agent's `status --json` says
 * revoked, and the hub refuses it: readings it takes afterwards stay in its queue, none is
 * stored.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import { loginAs, startDemoHub, type DemoHub } from '../testing/demo-hub.js';

const agentBin = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

interface AgentStatusJson {
  state?: string;
  link?: string;
  linkDetail?: string;
  queue?: { depth: number };
  readingsAccepted?: number;
}

let demo: DemoHub;
let dir: string;

/** Appends `n` SpO2 readings as JSON lines; returns their ids. */
function appendReadings(file: string, n: number): string[] {
  const ids = Array.from({ length: n }, () => randomUUID());
  const start = Date.now() - n * 1000;
  const lines = ids.map((id, i) =>
    JSON.stringify({ id, code: 'spo2', value: 97, deviceTime: new Date(start + i * 1000) }),
  );
  appendFileSync(file, `${lines.join('\n')}\n`);

  return ids;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function statusOf(stateDir: string): Promise<AgentStatusJson> {
  const out = await run(process.execPath, [agentBin, 'status', '--state-dir', stateDir, '--json'])
    .then((r) => r.stdout)
    .catch((e: { stdout?: string }) => e.stdout ?? '');

  return out.trim() === '' ? {} : (JSON.parse(out) as AgentStatusJson);
}

async function storedOf(ids: string[]): Promise<number> {
  const { rows } = await demo.hub.db.query<{ n: number }>(
    'select count(*)::int as n from vitals.observation where id = any($1::uuid[])',
    [ids],
  );

  return rows[0]?.n ?? 0;
}

test.before(async () => {
  demo = await startDemoHub('sd_agent_revocation');
  dir = mkdtempSync(join(tmpdir(), 'sd-agent-revocation-'));
});

test.after(async () => {
  await demo.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an agent revoked by an IT admin says so in its status and the hub stores no more of it', async () => {
  const stateDir = join(dir, 'state');
  const { token } = await demo.hub.alerting.fleet.createToken({ createdBy: 'revocation-test' });
  const enrolled = await run(process.execPath, [
    agentBin,
    'enroll',
    '--hub',
    demo.hub.url,
    '--token',
    token,
    '--state-dir',
    stateDir,
  ]);
  const agentId = /enrolled as (\S+);/.exec(enrolled.stdout)?.[1];
  assert.ok(agentId, enrolled.stdout);
  const file = join(dir, 'readings.ndjson');
  writeFileSync(file, '');
  const before = appendReadings(file, 20);
  const config = join(dir, 'agent.yaml');
  const device = {
    id: 'oxi-1',
    driver: 'ndjson-file',
    patient: 'demo-patient-1',
    file: { path: file, follow: true },
  };
  const uplink = { heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } };
  writeFileSync(config, stringify({ stateDir, devices: [device], uplink }));
  const agent = spawn(process.execPath, [agentBin, 'run', '--config', config], { stdio: 'ignore' });
  try {
    await waitFor('readings stored', async () => ((await storedOf(before)) === 20 ? 1 : undefined));
    const online = await statusOf(stateDir);
    const admin = await loginAs(demo.hub, 'it-admin');
    const revoke = await fetch(`${demo.hub.url}/api/fleet/agents/${agentId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'box reported stolen' }),
    });
    const revoked = await waitFor('revoked in status', async () => {
      const s = await statusOf(stateDir);

      return s.state === 'revoked' ? s : undefined;
    });
    const after = appendReadings(file, 5);
    const queued = await waitFor('readings taken after the revocation', async () => {
      const s = await statusOf(stateDir);

      return (s.readingsAccepted ?? 0) >= 25 && (s.queue?.depth ?? 0) >= 5 ? s : undefined;
    });
    const { rows } = await demo.hub.db.query<{ state: string }>(
      'select state from fleet.agent where id = $1',
      [agentId],
    );

    assert.is(online.link, 'online');
    assert.is(revoke.status, 200);
    assert.equal(await revoke.json(), { agentId, state: 'revoked' });
    assert.is(rows[0]?.state, 'revoked');
    assert.is.not(revoked.link, 'online');
    assert.ok((queued.queue?.depth ?? 0) >= 5, 'the later readings wait in the queue');
    assert.is(await storedOf(after), 0, 'the hub stored a reading of a revoked agent');
    assert.is(await storedOf(before), 20);
  } finally {
    agent.kill('SIGKILL');
  }
});

test.run();
