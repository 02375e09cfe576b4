import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { v7 as uuidv7 } from 'uuid';
import { stringify } from 'yaml';

import { enrollAgent } from '../enroll/enroll.js';
import type { HubStandIn } from './hub-stand-in.js';

// Test scaffolding: an enrolled agent in a temp dir, its config, and the agent as a child
// process running the real CLI.

const BIN = fileURLToPath(new URL('../../bin/sparkden-agent.js', import.meta.url));

/** An enrolled agent's files. */
export interface AgentEnv {
  dir: string;
  stateDir: string;
  configFile: string;
  agentId: string;
  writeConfig(config: Record<string, unknown>): void;
  cleanup(): void;
}

/** Where {@link createAgentEnv} puts things. */
export interface AgentEnvOptions {
  /** The state dir (queue, keys, status); default `<temp dir>/state`. */
  stateDir?: string;
}

/** Enrolls an agent with the stand-in hub and writes its config. */
export async function createAgentEnv(
  hub: HubStandIn,
  config: Record<string, unknown>,
  options: AgentEnvOptions = {},
): Promise<AgentEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-'));
  const stateDir = options.stateDir ?? join(dir, 'state');
  const { agentId } = await enrollAgent({ hub: hub.httpUrl, token: hub.issueToken(), stateDir });
  const configFile = join(dir, 'agent.yaml');
  const writeConfig = (c: Record<string, unknown>) =>
    writeFileSync(configFile, stringify({ stateDir, ...c }));
  writeConfig(config);

  return {
    dir,
    stateDir,
    configFile,
    agentId,
    writeConfig,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Writes `n` SpO2 readings as JSON lines, each with its own UUIDv7; returns the ids. */
export function writeReadings(
  file: string,
  n: number,
  value: (i: number) => number = () => 97,
  append = false,
): string[] {
  const ids: string[] = [];
  const lines: string[] = [];
  const start = Date.now() - n * 1000;
  for (let i = 0; i < n; i++) {
    const id = uuidv7();
    ids.push(id);
    lines.push(
      JSON.stringify({
        id,
        code: 'spo2',
        value: value(i),
        deviceTime: new Date(start + i * 1000).toISOString(),
      }),
    );
  }
  (append ? appendFileSync : writeFileSync)(file, `${lines.join('\n')}\n`);

  return ids;
}

/** A running agent process and its captured log lines. */
export interface AgentProcess {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/** Runs `sparkden-agent run --config <file>` as a child process. */
export function spawnAgent(configFile: string, env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let rest = '';
  const collect = (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  return { child, lines, exited };
}

/** Polls `check` until it returns a truthy value (the timeout only bounds a hung test). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
