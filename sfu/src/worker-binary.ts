import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as mediasoupNs from 'mediasoup';

/** Where the SFU found (or did not find) a mediasoup worker binary. */
export type WorkerBinary =
  | { available: true; path: string; version: string }
  | { available: false; version: string; reason: string };

/** Command that builds the worker; quoted in every "unavailable" message. */
export const BUILD_WORKER_COMMAND = 'bash sfu/scripts/build-worker.sh';

const require = createRequire(import.meta.url);

/** The installed mediasoup npm package's version (read without loading mediasoup). */
export function installedMediasoupVersion(): string {
  const main = require.resolve('mediasoup');
  const pkg = JSON.parse(readFileSync(resolve(main, '../../../package.json'), 'utf8')) as {
    version: string;
  };

  return pkg.version;
}

/** The per-version cache directory the build script writes to. */
export function workerCacheDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.SPARKDEN_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sparkden');

  return join(root, `mediasoup-worker-${version}`);
}

/**
 * Stamp of the patch script a cached worker was built with: the first 16 hex digits of its
 * SHA-256, as `build-worker.sh` writes to `PATCHED`. A binary with another stamp was built by an
 * older patch and is rebuilt.
 */
export function patchStamp(): string {
  const script = readFileSync(join(SFU_PACKAGE_DIR, 'scripts', 'patch-worker.py'));

  return createHash('sha256').update(script).digest('hex').slice(0, 16);
}

function readStamp(dir: string): string | undefined {
  const file = join(dir, 'PATCHED');

  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * Finds the worker binary: `MEDIASOUP_WORKER_BIN` if set, else the verified build in the cache
 * (`~/.cache/sparkden/mediasoup-worker-<version>/`) whose `PATCHED` stamp matches the current
 * patch script, as the build script requires. Never throws: a missing binary comes back
 * as `available: false` with a reason that names the build command.
 *
 * @example
 * const bin = findWorkerBinary();
 * if (!bin.available) console.warn(bin.reason);
 */
export function findWorkerBinary(env: NodeJS.ProcessEnv = process.env): WorkerBinary {
  const version = installedMediasoupVersion();
  const explicit = env.MEDIASOUP_WORKER_BIN;
  if (explicit) {
    return existsSync(explicit)
      ? { available: true, path: explicit, version }
      : { available: false, version, reason: `MEDIASOUP_WORKER_BIN not found: ${explicit}` };
  }

  const dir = workerCacheDir(version, env);
  const path = join(dir, 'mediasoup-worker');
  const built = existsSync(path) && existsSync(join(dir, 'VERIFIED'));
  if (built && readStamp(dir) === patchStamp()) {
    return { available: true, path, version };
  }
  if (built) {
    return {
      available: false,
      version,
      reason:
        `video visits unavailable: mediasoup worker built by an older patch script ` +
        `(run ${BUILD_WORKER_COMMAND} to rebuild ${path})`,
    };
  }

  return {
    available: false,
    version,
    reason:
      `video visits unavailable: mediasoup worker not built ` +
      `(run ${BUILD_WORKER_COMMAND}; expected ${path})`,
  };
}

type MediasoupModule = typeof mediasoupNs;

/**
 * Loads mediasoup pointed at `binPath`. mediasoup reads `MEDIASOUP_WORKER_BIN` once, when its
 * Worker module is first loaded, so the variable is set before the import and the module's
 * exported path is also updated in case another part loaded mediasoup earlier.
 */
export async function loadMediasoup(binPath: string): Promise<MediasoupModule> {
  process.env.MEDIASOUP_WORKER_BIN = binPath;
  const mediasoup = await import('mediasoup');
  const workerModulePath = join(dirname(require.resolve('mediasoup')), 'Worker.js');
  const workerModule = require(workerModulePath) as { workerBin: string };
  workerModule.workerBin = binPath;

  return mediasoup;
}

/** Directory of this package (sfu/), for scripts and tests. */
export const SFU_PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
