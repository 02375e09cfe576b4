import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web client's package folder. */
export const WEB_CLIENT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where `npm run build -w @sparkden/web-client` writes the static files the gateway serves. */
export const WEB_CLIENT_DIST = join(WEB_CLIENT_ROOT, 'dist');

const SOURCES = ['index.html', 'visit.html', 'vite.config.ts', 'src/app', 'src/visit'];

function newestMtime(path: string): number {
  if (!existsSync(path)) {
    return 0;
  }
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    return stat.mtimeMs;
  }

  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), 0);
}

/**
 * Whether `dist/` is missing or older than any source file of the app (the pages, the
 * Vite config, `src/app`, `src/visit`).
 */
export function isWebClientStale(): boolean {
  const built = join(WEB_CLIENT_DIST, 'index.html');
  if (!existsSync(built)) {
    return true;
  }

  const builtAt = statSync(built).mtimeMs;

  return SOURCES.some((s) => newestMtime(join(WEB_CLIENT_ROOT, s)) > builtAt);
}

/**
 * Builds the app with Vite into {@link WEB_CLIENT_DIST}; returns that path. Vite is loaded only
 * when a build is needed, so serving a prebuilt `dist/` never loads the bundler. The build
 * goes to a fresh folder that then replaces `dist/`, so a hub serving the old files while
 * another process builds never sees a half-written folder.
 *
 * @example
 * ```ts
 * const webRoot = await buildWebClient();
 * ```
 */
export async function buildWebClient(options: { silent?: boolean } = {}): Promise<string> {
  const { build } = await import('vite');
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  // .cache/ is git-ignored; the swap stays on one file system, so the renames are atomic.
  const fresh = join(WEB_CLIENT_ROOT, '.cache', `build-${suffix}`);
  const old = join(WEB_CLIENT_ROOT, '.cache', `old-${suffix}`);
  await build({
    configFile: join(WEB_CLIENT_ROOT, 'vite.config.ts'),
    root: WEB_CLIENT_ROOT,
    logLevel: options.silent ? 'silent' : 'warn',
    build: { outDir: fresh, emptyOutDir: true },
  });

  swapInto(fresh, WEB_CLIENT_DIST, old);

  return WEB_CLIENT_DIST;
}

/**
 * Returns the folder of built files, building first when it is missing or stale. The hub
 * calls this at start so `npm start` and the browser tests always serve the current app.
 *
 * @example
 * ```ts
 * const webRoot = await ensureWebClientBuilt();
 * ```
 */
export async function ensureWebClientBuilt(options: { silent?: boolean } = {}): Promise<string> {
  if (!isWebClientStale()) {
    return WEB_CLIENT_DIST;
  }

  return buildWebClient(options);
}

// Two processes may build at once (two test files starting a hub): each moves whatever is
// in place aside and puts its own build there, retrying when the other one got in between.
function swapInto(fresh: string, target: string, aside: string): void {
  for (let attempt = 0; ; attempt += 1) {
    try {
      renameSync(target, `${aside}-${attempt}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
    try {
      renameSync(fresh, target);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) {
        throw error;
      }
    }
  }
  for (let attempt = 0; attempt <= 5; attempt += 1) {
    rmSync(`${aside}-${attempt}`, { recursive: true, force: true });
  }
}
