#!/usr/bin/env node
// Runs every package's uvu test files, each in its own Node process (so a crash or a
// leaked handle in one file cannot take the others down), and ends with one line:
// `N passed, N failed`.
//
// Usage: node scripts/test.mjs [filter ...]   (a filter is a substring of the file path)
// Env:   SD_TEST_JOBS      files run at once (default 2)
//        SD_TEST_TIMEOUT   seconds before a file is killed (default 600)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = JSON.parse(
  (await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8'),
).workspaces;
const filters = process.argv.slice(2);
const jobs = Number(process.env.SD_TEST_JOBS ?? 2);
const timeoutMs = Number(process.env.SD_TEST_TIMEOUT ?? 600) * 1000;

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) {
      continue;
    }
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      found.push(...findTests(path));
    } else if (/\.test\.ts$/.test(name)) {
      found.push(path);
    }
  }
  return found;
}

// A workspace folder that package.json names but the tree lacks is an error, not an empty
// package: skipping it would report a green run that never ran that package's tests.
const missing = packages.filter((pkg) => !existsSync(join(root, pkg)));
if (missing.length > 0) {
  console.error(
    `[test runner] workspace folder(s) named in package.json do not exist: ${missing.join(', ')}`,
  );
  process.exit(1);
}

const files = packages
  .flatMap((pkg) => findTests(join(root, pkg)))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[test runner] killed after ${timeoutMs / 1000}s\n`;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      // uvu's Total already leaves skipped tests out.
      let failed = total - passed;
      // A file that exits non-zero without reporting a failure (a crash, an unhandled
      // rejection after the suite, a timeout) still counts as one failure.
      if (code !== 0 && failed === 0) {
        failed = 1;
      }
      resolve({ file, passed, failed, skipped, out, ms: Date.now() - started });
    });
  });
}

const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const r = await runFile(file);
    results.push(r);
    const mark = r.failed > 0 ? 'FAIL' : 'ok  ';
    console.log(`${mark} ${file}  (${r.passed} passed, ${r.failed} failed, ${r.ms} ms)`);
    if (r.failed > 0 || process.env.SD_TEST_VERBOSE) {
      const lines = r.out.split('\n').map((l) => (l.length > 400 ? `${l.slice(0, 400)} …` : l));
      console.log(lines.map((l) => `    ${l}`).join('\n'));
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
if (skipped > 0) {
  console.log(`${skipped} skipped`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
