#!/usr/bin/env node
// The agent as plain JavaScript: esbuild bundles src/cli.ts (with the workspace packages and
// the pure-JS dependencies) into dist/, so the daemon runs on plain `node` without the
// TypeScript loader in its resident set. `npm run build -w @sparkden/edge-agent` runs this
// file; the `sparkden-agent` bin calls ensureAgentBundle() and builds on demand.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { lazyMqttTransports, sourceRelativeUrls } from './bundle-plugins.js';

/** The edge-agent package folder. */
export const AGENT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the builds go (git-ignored); `current.json` names the one to run. */
export const AGENT_DIST = join(AGENT_ROOT, 'dist');

const MANIFEST = join(AGENT_DIST, 'current.json');
const KEEP_OLD_BUILDS = 2;
// Besides the bundled sources: the build itself and the installed dependency versions.
const BUILD_INPUTS = [
  'bin/bundle.js',
  'bin/bundle-plugins.js',
  'package.json',
  '../package-lock.json',
];

// Native addons stay outside the bundle, loaded from node_modules as before (serialport's
// port stream with its binding, which finds its addon from its own folder); noble is also
// imported through a variable, so only a BLE device loads it. bufferutil and utf-8-validate
// are optional addons of ws (mqtt's WebSocket transport), required inside a try.
const EXTERNAL = [
  'better-sqlite3',
  '@serialport/bindings-cpp',
  '@serialport/stream',
  '@abandonware/noble',
  'bufferutil',
  'utf-8-validate',
];

// The CommonJS dependencies (pino, mqtt, yaml) call require() for Node built-ins.
const BANNER = [
  "import { createRequire as __sdCreateRequire } from 'node:module';",
  'const require = __sdCreateRequire(import.meta.url);',
].join('\n');

/**
 * @typedef {object} AgentManifest
 * @property {string} build the folder under dist/ holding cli.js and its chunks
 * @property {number} startedAt when the build started (ms since the epoch)
 * @property {string[]} inputs the workspace sources bundled, relative to the package folder
 */

/** @returns {AgentManifest | undefined} */
function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT' || error instanceof SyntaxError) {
      return undefined;
    }
    throw error;
  }
}

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch (error) {
    if (error.code === 'ENOENT') {
      return 0;
    }
    throw error;
  }
}

/**
 * The entry file of the current build, or undefined when there is none or one of the sources
 * it bundled (or the build script, or the lock file) changed after it was built. A removed
 * source counts as unchanged: the file that imported it changed too, and an install without
 * sources runs its prebuilt dist/.
 *
 * @returns {string | undefined}
 */
export function freshAgentEntry() {
  const manifest = readManifest();
  const entry = manifest === undefined ? undefined : join(AGENT_DIST, manifest.build, 'cli.js');
  if (manifest === undefined || !existsSync(entry)) {
    return undefined;
  }

  const watched = [...manifest.inputs, ...BUILD_INPUTS];
  const stale = watched.some((p) => mtimeOf(join(AGENT_ROOT, p)) > manifest.startedAt);

  return stale ? undefined : entry;
}

function pruneOldBuilds(current) {
  const builds = readdirSync(AGENT_DIST, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== current && !d.name.startsWith('.'))
    .map((d) => ({ name: d.name, at: mtimeOf(join(AGENT_DIST, d.name)) }))
    .sort((a, b) => b.at - a.at);
  // NOTE: a few old builds stay, so an agent started from one can still load its lazy chunks.
  for (const old of builds.slice(KEEP_OLD_BUILDS)) {
    rmSync(join(AGENT_DIST, old.name), { recursive: true, force: true });
  }
}

/**
 * Bundles the agent into a new folder under {@link AGENT_DIST} and makes it current; returns
 * the path of its `cli.js`. Lazy imports stay lazy (one chunk each), so `run` never loads
 * enrollment, `decode` or `simulate`. Two processes may build at once: each writes its own
 * folder, and the manifest is replaced by a rename, so a reader never sees half a build.
 *
 * @example
 * ```js
 * const entry = await buildAgentBundle();
 * await import(pathToFileURL(entry).href);
 * ```
 * @returns {Promise<string>}
 */
export async function buildAgentBundle() {
  const esbuild = await import('esbuild');
  const startedAt = Date.now();
  const build = `build-${startedAt.toString(36)}-${process.pid}`;
  const outdir = join(AGENT_DIST, build);
  mkdirSync(AGENT_DIST, { recursive: true });

  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: AGENT_ROOT,
      entryPoints: ['src/cli.ts'],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir,
      external: EXTERNAL,
      banner: { js: BANNER },
      plugins: [sourceRelativeUrls(outdir), lazyMqttTransports()],
      // Stack traces keep their names; dist/ holds maps for `node --enable-source-maps`.
      keepNames: true,
      // Whitespace and syntax only: full minification measured no smaller resident set.
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
    });
  } finally {
    // The build service is a child process: it must not outlive the build.
    await esbuild.stop();
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes('node_modules/'))
    .map((p) => relative(AGENT_ROOT, resolve(AGENT_ROOT, p)));
  // What went into which chunk, for `esbuild --analyze`-style checks and bin-bundle.test.ts.
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  const next = `${MANIFEST}.${process.pid}`;
  writeFileSync(next, JSON.stringify({ build, startedAt, inputs }, null, 2));
  renameSync(next, MANIFEST);
  pruneOldBuilds(build);

  return join(outdir, 'cli.js');
}

/**
 * The entry of a fresh bundle, building one first when it is missing or stale.
 *
 * @returns {Promise<string>}
 */
export async function ensureAgentBundle() {
  return freshAgentEntry() ?? (await buildAgentBundle());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const entry = await buildAgentBundle();
  process.stdout.write(`sparkden-agent bundle: ${relative(process.cwd(), entry)}\n`);
}
