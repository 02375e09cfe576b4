/**
 * Resident memory of an agent running five devices (five simulated Contec CMS50D+ oximeters
 * on serial pseudo-terminals, acked by a stand-in hub), beside an idle plain `node -e`
 * process measured in the same run, and against the small-box target. The agent's figure is
 * the peak RSS of its whole process tree (the bin and any child it spawns), sampled once the
 * readings flow. It runs once per loader and V8 setting: the TypeScript sources through tsx
 * (the bin's fallback, and all it ran before the bundle), then the esbuild bundle on plain
 * `node` (what the bin runs), each bare and with the systemd unit's settings (its NODE_OPTIONS
 * and the SPARKDEN_AGENT_V8_FLAGS the bin applies). CPU is the tree's user+system time in the
 * window. Last, what those settings cost in speed: readings sealed and opened per second under
 * them, against default V8 in the same run.
 *
 * `AGENT_RSS_EXTRA="<node flags>|<node flags>"` measures more settings on the bundle (flags go
 * on node's command line, so V8 flags that NODE_OPTIONS refuses can be tried too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { createScratchDatabase } from '@sparkden/alerting';
import { startSerialSimulator, type SerialSimulator } from '@sparkden/device-drivers';

import { createAgentEnv, waitFor } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

const BIN = fileURLToPath(new URL('../bin/sparkden-agent.js', import.meta.url));
const UNIT = fileURLToPath(new URL('../../deploy/systemd/sparkden-agent.service', import.meta.url));
const TARGET_MB = 60;
const WINDOW_MS = 5000;
// The node and V8 settings the systemd unit runs the agent with, read from the unit so they
// never drift: NODE_OPTIONS, and the V8 flags NODE_OPTIONS refuses, which the bin applies.
const UNIT_TEXT = readFileSync(UNIT, 'utf8');
const TUNED = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(UNIT_TEXT)?.[1] ?? '';
const TUNED_V8 = /^Environment="SPARKDEN_AGENT_V8_FLAGS=([^"]*)"$/m.exec(UNIT_TEXT)?.[1] ?? '';
const SEAL_LOOP = fileURLToPath(new URL('./test-support/seal-loop.ts', import.meta.url));

/** Node flags and the bin's V8 flags of one measured setting. */
interface Setting {
  flags: string;
  v8: string;
}

/** `node <flags> sparkden-agent run --config <file>`, quiet, as its own process. */
function spawnBin(configFile: string, setting: Setting, loader: 'bundle' | 'tsx') {
  const args = [...setting.flags.split(' ').filter(Boolean), BIN, 'run', '--config', configFile];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      SPARKDEN_AGENT_LOADER: loader === 'tsx' ? 'tsx' : '',
      SPARKDEN_AGENT_V8_FLAGS: setting.v8,
    },
  });
  const stderr: string[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  return { child, stderr, exited };
}
const TICKS_PER_SECOND = 100;

/** The pid and every descendant of it ([proc(5)]: /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }

  return [pid, ...children.flatMap(processTree)];
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function treeRssMb(pid: number): number {
  const kb = processTree(pid).map((p) =>
    Number(/VmRSS:\s+(\d+)/.exec(readProc(p, 'status'))?.[1] ?? 0),
  );

  return kb.reduce((a, b) => a + b, 0) / 1024;
}

// [proc(5)] /proc/<pid>/stat fields 14 and 15 (utime, stime), after the ") " of the name.
function treeCpuMs(pid: number): number {
  const ticks = processTree(pid).map((p) => {
    const fields = readProc(p, 'stat').split(') ')[1]?.split(' ') ?? [];

    return Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  });

  return (ticks.reduce((a, b) => a + b, 0) * 1000) / TICKS_PER_SECOND;
}

/** Readings sealed and opened per second by test-support/seal-loop.ts under a setting. */
function sealRate(setting: Setting): number {
  const args = [...setting.flags.split(' ').filter(Boolean), '--import', 'tsx', SEAL_LOOP];
  const run = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', SEAL_LOOP_V8_FLAGS: setting.v8 },
  });
  if (run.status !== 0) {
    throw new Error(`seal loop exited ${run.status}: ${run.stderr}`);
  }

  return (JSON.parse(run.stdout) as { readingsPerSecond: number }).readingsPerSecond;
}

interface Sample {
  rss: number;
  cpuMs: number;
  processes: number;
}

async function sampleTree(pid: number, ms: number): Promise<Sample> {
  let rss = 0;
  let processes = 0;
  const cpuBefore = treeCpuMs(pid);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    rss = Math.max(rss, treeRssMb(pid));
    processes = Math.max(processes, processTree(pid).length);
    await new Promise((r) => setTimeout(r, 250));
  }

  return { rss, cpuMs: treeCpuMs(pid) - cpuBefore, processes };
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
  const stored = async () =>
    (await hub.pool.query<{ n: number }>('select count(*)::int as n from obs')).rows[0]?.n ?? 0;
  const measureAgent = async (loader: 'bundle' | 'tsx', setting: Setting) => {
    const before = await stored();
    const agent = spawnBin(env.configFile, setting, loader);
    try {
      await waitFor(async () => (await stored()) > before, 'readings at the hub');
    } catch (error) {
      agent.child.kill('SIGKILL');
      console.error(agent.stderr.join(''));
      throw error;
    }
    await new Promise((r) => setTimeout(r, 5000));
    const sample = await sampleTree(agent.child.pid!, WINDOW_MS);
    agent.child.kill('SIGTERM');
    await agent.exited;

    return { ...sample, rows: (await stored()) - before };
  };
  // The first bundled run builds dist/ when it is stale; measure only fresh starts.
  const plain: Setting = { flags: '', v8: '' };
  const unit: Setting = { flags: TUNED, v8: TUNED_V8 };
  const unitLabel = `"${TUNED}" + SPARKDEN_AGENT_V8_FLAGS="${TUNED_V8}"`;
  await measureAgent('bundle', plain);
  const extra = (process.env.AGENT_RSS_EXTRA ?? '').split('|').filter(Boolean);
  const runs = [
    { label: 'tsx loader, default V8', ...(await measureAgent('tsx', plain)) },
    { label: `tsx loader, ${unitLabel}`, ...(await measureAgent('tsx', unit)) },
    { label: 'bundle, default V8', ...(await measureAgent('bundle', plain)) },
    {
      label: `bundle, "${TUNED}" only`,
      ...(await measureAgent('bundle', { flags: TUNED, v8: '' })),
    },
  ];
  const tuned = { label: `bundle, ${unitLabel}`, ...(await measureAgent('bundle', unit)) };
  runs.push(tuned);
  for (const options of extra) {
    const setting = { flags: options, v8: '' };
    runs.push({ label: `bundle, "${options}"`, ...(await measureAgent('bundle', setting)) });
  }
  const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 4000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const peer = (await sampleTree(idle.pid!, 2000)).rss;
  idle.kill();

  for (const run of runs) {
    const cpu = `${((run.cpuMs / WINDOW_MS) * 100).toFixed(1)}% CPU`;
    console.log(
      `agent RSS, 5 oximeters, ${run.label}: ${run.rss.toFixed(1)} MB in ${run.processes} process(es), ` +
        `${cpu}, ${run.rows} readings stored`,
    );
  }
  const ours = tuned.rss;
  console.log(
    `agent RSS (bundle, systemd flags): ours ${ours.toFixed(1)} MB, idle plain node -e ${peer.toFixed(1)} MB, ` +
      `ratio ${(ours / peer).toFixed(2)}; target ${TARGET_MB} MB, ratio to target ${(ours / TARGET_MB).toFixed(2)}`,
  );
  const verdict = ours < TARGET_MB ? 'MET' : `NOT MET (${(ours - TARGET_MB).toFixed(1)} MB over)`;
  console.log(`agent RSS target (< ${TARGET_MB} MB, bundle, systemd flags): ${verdict}`);

  // What the unit's V8 settings cost: the same seal-and-open loop under them and under
  // default V8, beside what the five measured oximeters produce.
  const sealUnit = sealRate(unit);
  const sealPlain = sealRate(plain);
  const produced = tuned.rows / ((WINDOW_MS + 5000) / 1000);
  console.log(
    `agent sealing (200-reading batches, seal + open): ours under the unit's settings ` +
      `${Math.round(sealUnit)} readings/s, default V8 ${Math.round(sealPlain)} readings/s, ` +
      `ratio ${(sealUnit / sealPlain).toFixed(2)}; headroom over the 5 oximeters' ` +
      `~${produced.toFixed(0)} readings/s: ${Math.round(sealUnit / Math.max(produced, 1))}x`,
  );
} finally {
  await Promise.all(sims.map((s) => s.stop()));
  await hub.close();
  await scratch.drop();
  env.cleanup();
}
