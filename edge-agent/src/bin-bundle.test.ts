import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

// The `sparkden-agent` bin runs the esbuild bundle from dist/ (bin/bundle.js) on plain node.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'sparkden-agent.js');

// A loader hook that refuses to resolve tsx: a process that reaches for it fails.
const REFUSE_TSX = `export async function resolve(specifier, context, next) {
  if (specifier === 'tsx' || specifier.startsWith('tsx/')) {
    throw new Error('tsx was loaded');
  }
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(REFUSE_TSX)}));`;

function statusWithoutTsx(loader: string, v8Flags = '') {
  const dir = mkdtempSync(join(tmpdir(), 'sd-bin-'));
  try {
    const hook = `data:text/javascript,${encodeURIComponent(REGISTER)}`;
    const args = ['--import', hook, BIN, 'status', '--state-dir', dir];

    return spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, SPARKDEN_AGENT_LOADER: loader, SPARKDEN_AGENT_V8_FLAGS: v8Flags },
      timeout: 120_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Metafile {
  outputs: Record<
    string,
    {
      entryPoint?: string;
      inputs: Record<string, { bytesInOutput: number }>;
      imports: { path: string; kind: string }[];
    }
  >;
}

function currentBuild(): { dir: string; meta: Metafile } {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'dist', 'current.json'), 'utf8')) as {
    build: string;
  };
  const dir = join(ROOT, 'dist', manifest.build);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile;

  return { dir, meta };
}

/** The chunks `run` loads: cli.js, start-agent and the device drivers, with their imports. */
function runChunks(meta: Metafile): Set<string> {
  const byPath = new Map(Object.entries(meta.outputs).filter(([p]) => p.endsWith('.js')));
  const cli = [...byPath.keys()].find((p) => byPath.get(p)?.entryPoint === 'src/cli.ts');
  const lazyOnRun = new Set(['src/start-agent.ts', '../device-drivers/src/index.ts']);
  const seen = new Set<string>();
  const visit = (path: string) => {
    const output = byPath.get(path);
    if (output === undefined || seen.has(path)) {
      return;
    }
    seen.add(path);
    for (const i of output.imports) {
      const target = byPath.get(i.path);
      const follows = i.kind !== 'dynamic-import' || lazyOnRun.has(target?.entryPoint ?? '');
      if (follows) {
        visit(i.path);
      }
    }
  };
  visit(cli ?? '');

  return seen;
}

test('the bin runs the bundle on plain node, without loading tsx', () => {
  const result = statusWithoutTsx('');

  assert.is(result.status, 69, result.stderr);
  assert.match(result.stderr, 'no status yet');
  assert.not.match(result.stderr, 'TypeScript sources');
});

test('SPARKDEN_AGENT_LOADER=tsx runs the sources through tsx (the hook above catches it)', () => {
  const result = statusWithoutTsx('tsx');

  assert.is.not(result.status, 69);
  assert.match(result.stderr, 'tsx was loaded');
});

test('run loads neither enrollment, decode, simulate nor the BLE library', () => {
  statusWithoutTsx('');
  const { meta } = currentBuild();

  const chunks = runChunks(meta);
  const entries = [...chunks].map((c) => meta.outputs[c]?.entryPoint).filter(Boolean);
  const inputs = [...chunks].flatMap((c) => Object.keys(meta.outputs[c]?.inputs ?? {}));

  assert.ok(entries.includes('src/start-agent.ts'), entries.join(', '));
  assert.ok(inputs.some((i) => i.endsWith('src/uplink/uplink.ts')));
  for (const lazy of ['src/enroll/enroll.ts', 'src/cli/decode.ts', 'src/cli/simulate.ts']) {
    assert.not.ok(entries.includes(lazy), `${lazy} is loaded by run`);
  }
  assert.not.ok(inputs.some((i) => i.includes('@abandonware/noble')));
  assert.not.ok(
    inputs.some((i) => i.includes('@peculiar/x509')),
    'enrollment code is loaded by run',
  );
});

test('run loads no classic zod and no serialport meta-package (the small-box budget)', () => {
  statusWithoutTsx('');
  const { meta } = currentBuild();

  const chunks = runChunks(meta);
  // What ends up in the chunks: an input tree-shaken to nothing (zod's locale index) is not.
  const inputs = [...chunks].flatMap((c) =>
    Object.entries(meta.outputs[c]?.inputs ?? {})
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([path]) => path),
  );
  const imports = [...chunks].flatMap((c) => meta.outputs[c]?.imports.map((i) => i.path) ?? []);

  assert.ok(
    inputs.some((i) => i.includes('node_modules/zod/v4/mini')),
    'zod/mini is bundled',
  );
  assert.not.ok(inputs.some((i) => i.includes('node_modules/zod/v4/classic')));
  assert.not.ok(inputs.some((i) => /node_modules\/zod\/v4\/locales\/(?!en\.)/.test(i)));
  assert.ok(imports.includes('@serialport/stream'), imports.join(', '));
  assert.not.ok(imports.includes('serialport'));
});

test("the unit's SPARKDEN_AGENT_V8_FLAGS are applied and the agent runs under them", () => {
  const unit = readFileSync(join(ROOT, '../deploy/systemd/sparkden-agent.service'), 'utf8');
  const flags = /^Environment="SPARKDEN_AGENT_V8_FLAGS=([^"]*)"$/m.exec(unit)?.[1];

  assert.ok(flags?.includes('--max-opt=1'), 'the unit sets the V8 flags');
  const result = statusWithoutTsx('', flags);

  assert.is(result.status, 69, result.stderr);
  assert.match(result.stderr, 'no status yet');
});

test('a V8 flag outside the allowed few stops the bin, named, before anything runs', () => {
  for (const bad of ['--max-opt=7', '--allow-natives-syntax', '--max-opt=1 --jitless']) {
    const result = statusWithoutTsx('', bad);

    assert.is(result.status, 2, result.stderr);
    const named = bad.split(' ').find((f) => f !== '--max-opt=1') ?? bad;
    assert.match(result.stderr, `SPARKDEN_AGENT_V8_FLAGS: "${named}" is not one of`);
    assert.not.match(result.stderr, 'no status yet');
  }
});

test.run();
