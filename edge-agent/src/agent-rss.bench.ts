/**
 * Resident memory of an agent running five devices (five simulated Contec CMS50D+ oximeters
 * on serial pseudo-terminals, acked by a stand-in hub), beside an idle Node.js process with
 * the same TypeScript loader measured in the same run, and against the small-box target.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { createScratchDatabase } from '@sparkden/alerting';
import { startSerialSimulator, type SerialSimulator } from '@sparkden/device-drivers';

import { createAgentEnv, spawnAgent, waitFor } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

const TARGET_MB = 60;

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

  return Number(kb ?? 0) / 1024;
}

async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    peak = Math.max(peak, rssMb(pid));
    await new Promise((r) => setTimeout(r, 250));
  }

  return peak;
}

const scratch = await createScratchDatabase('sd_agent_rss');
const hub = new HubStandIn({ databaseUrl: scratch.url });
await hub.start();
const sims: SerialSimulator[] = [];
const env = await createAgentEnv(hub, {});
try {
  for (let i = 0; i < 5; i++) {
    sims.push(await startSerialSimulator({ driver: 'contec-cms50d', scenario: 'normal' }));
  }
  env.writeConfig({
    logLevel: 'warn',
    devices: sims.map((s, i) => ({
      id: `oxi-${i + 1}`,
      driver: 'contec-cms50d',
      patient: `p-${i + 1}`,
      path: s.path,
      minIntervalMs: 1000,
    })),
  });
  const measureAgent = async (nodeOptions: string) => {
    const agent = spawnAgent(env.configFile, { NODE_OPTIONS: nodeOptions });
    const before =
      (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ?? 0;
    const stored = async () =>
      (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ?? 0;
    await waitFor(async () => (await stored()) > before, 'readings at the hub');
    await new Promise((r) => setTimeout(r, 5000));
    const rss = await peakRss(agent.child.pid!, 5000);
    agent.child.kill('SIGTERM');
    await agent.exited;

    return { rss, rows: (await stored()) - before };
  };
  // The systemd unit runs the agent with these V8 settings (smaller young generation).
  const TUNED = '--max-semi-space-size=1 --max-old-space-size=96';
  const plain = await measureAgent('');
  const tuned = await measureAgent(TUNED);
  const ours = tuned.rss;
  const rows = tuned.rows;
  const idle = spawn(process.execPath, ['--import', 'tsx', '-e', 'setTimeout(() => {}, 4000)'], {
    stdio: 'ignore',
  });
  await new Promise((r) => setTimeout(r, 1500));
  const peer = await peakRss(idle.pid!, 2000);
  idle.kill();

  console.log(
    `agent RSS, 5 oximeters, default V8 settings: ${plain.rss.toFixed(1)} MB (${plain.rows} readings stored)`,
  );
  console.log(
    `agent RSS, 5 oximeters (${rows} readings stored), NODE_OPTIONS="${TUNED}": ours ${ours.toFixed(1)} MB, idle node+tsx ${peer.toFixed(1)} MB, ` +
      `ratio ${(ours / peer).toFixed(2)}; target ${TARGET_MB} MB, ratio to target ${(ours / TARGET_MB).toFixed(2)}`,
  );
} finally {
  await Promise.all(sims.map((s) => s.stop()));
  await hub.close();
  await scratch.drop();
  env.cleanup();
}
