/**
 * `npm run bench`: finds every `*.bench.ts` under the packages' `src/` folders and runs
 * each in its own process, one after another (benchmarks must not compete for the two
 * cores). Each bench prints its own lines: ours beside a peer, as a ratio; before each one
 * this prints the machine (CPU, cores, memory, load) and the versions of Node.js and of the
 * peers that bench compares against (see `versions.ts`).
 *
 * Usage: npm run bench [-- filter ...]
 *
 * Soak benches (`*soak*.bench.ts`) hold their load for a minute or more: they run only when
 * a filter names them (`npm run bench -- soak`) or `SD_SOAK=1` is set.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { machineLine } from './report.js';
import { versionsLine } from './versions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function findBenches(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) {
      return [];
    }
    if (statSync(path).isDirectory()) {
      return findBenches(path);
    }

    return name.endsWith('.bench.ts') ? [path] : [];
  });
}

const workspaces = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  }
).workspaces;
const filters = process.argv.slice(2);
const benches = workspaces
  .flatMap((w) => {
    try {
      return findBenches(join(root, w, 'src'));
    } catch {
      return [];
    }
  })
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const isSoak = (f: string) => /soak[^/]*\.bench\.ts$/.test(f);
const soakAsked = process.env.SD_SOAK === '1' || filters.some((x) => x.includes('soak'));

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(`# machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB`);
console.log(`# node ${process.version}, ${benches.length} bench file(s)`);

let failed = 0;
for (const file of benches) {
  console.log(`\n## ${file}`);
  if (isSoak(file) && !soakAsked) {
    console.log('soak skipped: run it with `npm run bench -- soak` or SD_SOAK=1');
    continue;
  }
  console.log(machineLine());
  console.log(await versionsLine(file));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`!! ${file} exited ${r.status}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
