import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A PostgreSQL server of one test's own (`initdb` + `pg_ctl`, found on `PATH`), so a fault
 * test can stop the database under a running hub without touching the machine's shared
 * server. PostgreSQL refuses to run as root: under root the cluster belongs to the
 * `postgres` user and its commands run through `runuser`.
 */

const run = promisify(execFile);

/** Options of {@link startPrivatePostgres}. */
export interface PrivatePostgresOptions {
  port: number;
}

/** A running private cluster. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  url: string;
  /** `pg_ctl stop -m immediate`: every backend ends at once, as in a crash. */
  stop(): Promise<void>;
  /** Starts the server again on the same data and port. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes its files. */
  destroy(): Promise<void>;
}

/** The command line running `command` as the cluster's owner. */
function ownerCommand(command: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
}

function asOwner(command: string, args: string[]): Promise<unknown> {
  return run(...ownerCommand(command, args));
}

/**
 * Creates a cluster in a temporary directory (trust authentication, loopback only, no fsync)
 * and starts it on `port`.
 *
 * @example
 * ```ts
 * const pg = await startPrivatePostgres({ port: await freePort() });
 * await pg.stop();
 * await pg.start();
 * await pg.destroy();
 * ```
 */
export async function startPrivatePostgres(
  options: PrivatePostgresOptions,
): Promise<PrivatePostgres> {
  if (!Number.isInteger(options.port) || options.port <= 0) {
    throw new TypeError('"port" must be a positive integer');
  }

  const dir = mkdtempSync(join(tmpdir(), 'sd-private-pg-'));
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const settings = [
    `-p ${options.port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c max_connections=60',
  ].join(' ');
  let running = false;
  // pg_ctl detaches the server: a test process that ends without destroy() must not leave it.
  const stopAtExit = () => {
    if (running) {
      const [file, args] = ownerCommand('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      execFileSync(file, args, { stdio: 'ignore' });
    }
  };
  process.once('exit', stopAtExit);
  const start = async () => {
    await asOwner('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
    running = true;
  };
  const stop = async () => {
    await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    running = false;
  };
  await start();

  return {
    url: `postgres://postgres@127.0.0.1:${options.port}/postgres`,
    start,
    stop,
    async destroy() {
      if (running) {
        await stop();
      }
      process.removeListener('exit', stopAtExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
