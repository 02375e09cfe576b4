import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { knownBenches, versionsLine } from './versions.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function benches(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) {
      return [];
    }
    if (statSync(path).isDirectory()) {
      return benches(path);
    }

    return name.endsWith('.bench.ts') ? [relative(root, path)] : [];
  });
}

function installed(name: string): string {
  const pkg = readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8');

  return (JSON.parse(pkg) as { version: string }).version;
}

test('every bench in the repository has its peers listed', () => {
  const workspaces = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  const found = workspaces.flatMap((w) => {
    try {
      return benches(join(root, w, 'src'));
    } catch {
      return [];
    }
  });

  const missing = found.filter((f) => !knownBenches().includes(f));

  assert.equal(missing, [], 'add these to PEERS in versions.ts');
});

test('the sealing bench line names the installed @noble/ciphers and OpenSSL', async () => {
  const line = await versionsLine('protocol/src/envelope.bench.ts');

  assert.ok(line.startsWith(`# versions: node ${process.version}, `), line);
  assert.ok(line.includes(`@noble/ciphers ${installed('@noble/ciphers')}`), line);
  assert.ok(line.includes(`OpenSSL ${process.versions.openssl}`), line);
});

test('a bench not in the table still gets the Node.js version', async () => {
  assert.is(await versionsLine('x/src/unknown.bench.ts'), `# versions: node ${process.version}`);
});

test.run();
