import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DriverError } from '../errors.js';

/** Two linked pseudo-terminals: what one end writes, the other reads. */
export interface PtyPair {
  /** The end the simulated device writes into. */
  devicePath: string;
  /** The end the agent opens, as if it were `/dev/ttyUSB0`. */
  agentPath: string;
  close(): Promise<void>;
}

/**
 * Makes a pseudo-terminal pair with `socat` (raw, no echo). Needs the `socat` binary.
 *
 * @throws {DriverError} `TRANSPORT` when socat is missing or does not create the pair in time.
 * @example
 * ```ts
 * const pair = await createPtyPair();
 * ```
 */
export async function createPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkden-pty-'));
  const device = join(dir, 'device');
  const agent = join(dir, 'agent');
  const child = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${agent}`], {
    stdio: 'ignore',
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exit.then(() => (exited = true));

  const started = Date.now();
  while (!(existsSync(device) && existsSync(agent))) {
    if (exited || Date.now() - started > timeoutMs) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new DriverError('TRANSPORT', 'socat did not create a pseudo-terminal pair');
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  return {
    devicePath: realpathSync(device),
    agentPath: realpathSync(agent),
    async close() {
      if (!exited) {
        child.kill('SIGTERM');
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
