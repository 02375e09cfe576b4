import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The edge agent as operators run it, through its `sparkden-agent` bin only (the gateway does
 * not import the agent's sources): `enroll`, `run` as a child process, and `status --json`.
 */

const AGENT_BIN = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

/** The fields of `sparkden-agent status --json` the fault tests read. */
export interface AgentStatusJson {
  running?: boolean;
  state?: string;
  link?: string;
  queue?: { depth: number; alarms: number };
  queueDetail?: { records: number; pendingInMemory: number };
  readingsAccepted?: number;
  localAlarmsRaised?: number;
}

/** A running `sparkden-agent run` and the JSON log lines it printed so far. */
export interface AgentProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | NodeJS.Signals | null>;
  /** Whether a log line carries `"event":"<event>"`. */
  logged(event: string): boolean;
}

/**
 * `error` with the agent's last output lines appended, so a failed test shows why the agent
 * did not do its part (its log lines carry no PHI).
 */
export function withAgentOutput(error: unknown, agent: AgentProcess | undefined): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  if (agent === undefined || agent.lines.length === 0) {
    return cause;
  }

  const tail = agent.lines.slice(-15).join('\n');
  cause.message = `${cause.message}\nthe agent's last output:\n${tail}`;

  return cause;
}

/**
 * `sparkden-agent enroll --hub <url> --token <token> --state-dir <dir>`; returns the agent id
 * the hub gave.
 */
export async function enrollAgentProcess(
  hubUrl: string,
  token: string,
  stateDir: string,
): Promise<string> {
  const args = ['enroll', '--hub', hubUrl, '--token', token, '--state-dir', stateDir];
  const { stdout } = await run(process.execPath, [AGENT_BIN, ...args]);
  const agentId = /enrolled as (\S+);/.exec(stdout)?.[1];
  if (agentId === undefined) {
    throw new Error(`enrollment printed no agent id: ${stdout}`);
  }

  return agentId;
}

/** `sparkden-agent run --config <file>` as a child process. */
export function spawnAgentProcess(configFile: string): AgentProcess {
  const child = spawn(process.execPath, [AGENT_BIN, 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  const collect = (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const logged = (event: string) => lines.some((l) => l.includes(`"event":"${event}"`));

  return { child, lines, exited, logged };
}

/** `sparkden-agent status --state-dir <dir> --json`; `{}` before the agent's first status. */
export async function agentStatus(stateDir: string): Promise<AgentStatusJson> {
  const args = [AGENT_BIN, 'status', '--state-dir', stateDir, '--json'];
  // Exit 3 means "not running", still with the last status on stdout.
  const out = await run(process.execPath, args)
    .then((r) => r.stdout)
    .catch((error: { stdout?: string }) => error.stdout ?? '');

  return out.trim() === '' ? {} : (JSON.parse(out) as AgentStatusJson);
}
