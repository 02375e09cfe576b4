/**
 * Enrollment, mutual TLS and revocation for a real `sparkden-agent` process, against the hub
 * stand-in (`test-support/hub-stand-in.ts`): a test-only enrollment endpoint, TLS broker and
 * ingest inside this test process, not the product hub's fleet, CA or refusal. Revocation by
 * the real hub (an IT admin's REST call, the agent's status saying revoked, nothing more
 * stored) is `gateway/src/hub/agent-revocation.int.test.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import { readLocalStatus } from './status.js';
import { spawnAgent, waitFor, writeReadings } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

const BIN = fileURLToPath(new URL('../bin/sparkden-agent.js', import.meta.url));
const run = promisify(execFile);

let scratch: ScratchDatabase;
let hub: HubStandIn;

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_tls');
  hub = new HubStandIn({ databaseUrl: scratch.url, tls: true });
  await hub.start();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

test('enrolled over the CLI, sends over mutual TLS; once revoked it is refused and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-tls-'));
  const stateDir = join(dir, 'state');
  let agent: ReturnType<typeof spawnAgent> | undefined;
  try {
    const enrolled = await run(
      process.execPath,
      [BIN, 'enroll', '--hub', hub.httpUrl, '--token', hub.issueToken(), '--state-dir', stateDir],
      { cwd: tmpdir() },
    );
    const agentId = /enrolled as (\S+);/.exec(enrolled.stdout)?.[1];
    assert.ok(agentId);
    assert.is(statSync(stateDir).mode & 0o777, 0o700);
    for (const f of readdirSync(stateDir)) {
      assert.is(statSync(join(stateDir, f)).mode & 0o777, 0o600, f);
    }
    const file = join(dir, 'readings.ndjson');
    writeReadings(file, 100);
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(
      configFile,
      stringify({
        stateDir,
        devices: [{ id: 'oxi-1', driver: 'ndjson-file', patient: 'p-1', file: { path: file } }],
        uplink: { heartbeatSeconds: 1, backoff: { minMs: 100, maxMs: 1000 } },
      }),
    );

    agent = spawnAgent(configFile);
    await waitFor(
      async () =>
        (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ===
        100,
      'rows over mTLS',
    );
    assert.is(readLocalStatus(stateDir)?.status.link, 'online');

    hub.revoke(agentId);
    await waitFor(() => readLocalStatus(stateDir)?.status.state === 'revoked', 'revoked in status');
    assert.ok(agent.lines.some((l) => l.includes('"agentRevoked"')));
    const shown = await run(process.execPath, [BIN, 'status', '--state-dir', stateDir], {
      cwd: tmpdir(),
    });
    assert.match(shown.stdout, /state\s+revoked/);
    assert.match(shown.stdout, /CONNACK 5/);
  } finally {
    agent?.child.kill('SIGKILL');
    await agent?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a used enrollment token is refused with the hub's code", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-tls-'));
  try {
    const token = hub.issueToken();
    await run(process.execPath, [
      BIN,
      'enroll',
      '--hub',
      hub.httpUrl,
      '--token',
      token,
      '--state-dir',
      join(dir, 'a'),
    ]);
    const second = await run(process.execPath, [
      BIN,
      'enroll',
      '--hub',
      hub.httpUrl,
      '--token',
      token,
      '--state-dir',
      join(dir, 'b'),
    ]).catch((e: { code: number; stderr: string }) => e);
    assert.is((second as { code: number }).code, 77);
    assert.match((second as { stderr: string }).stderr, /ENROLL_REFUSED.*TOKEN_INVALID/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
