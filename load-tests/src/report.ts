/**
 * What every hub bench prints and how it cleans up: the machine and versions header,
 * percentiles, and cleanups that run on a normal end, on an error and on Ctrl-C.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The installed version of a hoisted package, for a bench's header line. */
export async function packageVersion(name: string): Promise<string> {
  try {
    const pkg = JSON.parse(
      await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version?: string };

    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

/** The 1-minute load average, which says how busy the shared machine was. */
export function loadAverage(): string {
  return loadavg()[0]?.toFixed(2) ?? '?';
}

/** `# machine: …` with the CPU, memory, kernel, Node.js and the load average now. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const gib = Math.round(totalmem() / 2 ** 30);

  return (
    `# machine: ${cpus().length} × ${cpu}, ${gib} GiB, ${type()} ${release()}, ` +
    `node ${process.version}, load average ${loadAverage()} at start`
  );
}

/** The value at percentile `p` of an ascending array (nearest rank); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length) - 1;

  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? NaN;
}

/** The median of some values (the lower middle one for an even count). */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];

/**
 * A stack of cleanups for one part of a bench: `add` registers a step, `close` runs them,
 * last added first, exactly once. Until then it is also registered with {@link atCleanup}.
 */
export function cleanupStack(): { add(fn: Cleanup): void; close(): Promise<void> } {
  const steps: Cleanup[] = [];
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      const failures: unknown[] = [];
      for (let fn = steps.pop(); fn !== undefined; fn = steps.pop()) {
        await Promise.resolve()
          .then(fn)
          .catch((error: unknown) => failures.push(error));
      }
      if (failures.length > 0) {
        throw new AggregateError(failures, 'cleanup failed');
      }
    })();

    return closed;
  };
  atCleanup(close);

  return { add: (fn) => void steps.push(fn), close };
}

/** Registers `fn` to run by {@link runCleanups}, last registered first. */
export function atCleanup(fn: Cleanup): void {
  cleanups.unshift(fn);
}

let running: Promise<void> | undefined;

/**
 * Runs every registered cleanup once; a failing one is reported and the rest still run.
 * A second call while one is running (Ctrl-C during a bench's own `finally`) waits for it.
 */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    for (let fn = cleanups.shift(); fn !== undefined; fn = cleanups.shift()) {
      try {
        await fn();
      } catch (error) {
        console.error('!! cleanup failed:', error);
        process.exitCode = 1;
      }
    }
  })().finally(() => (running = undefined));

  return running;
}

// Ctrl-C reaches the whole foreground group: clean up (processes, folders, databases), then
// leave with the conventional 128 + signal number.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(`!! ${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(code));
  });
}
