/**
 * deploy/Dockerfile, checked without a Docker engine (these machines have none): what it
 * copies from the context exists and is not ignored, the runtime user is the manifests' uid,
 * the paths the manifests run exist in the image's tree, `MEDIASOUP_WORKER_BIN` names the
 * copied worker, and the runtime stage installs every package that provides a shared library
 * of the worker built here. It does not prove the image builds or starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';

type Doc = Record<string, any>;

interface Step {
  op: string;
  args: string;
}

interface Stage {
  image: string;
  name?: string;
  steps: Step[];
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const hubImage = 'registry.example.org/sparkden/hub';

/** Instructions per stage; comment lines and line continuations as Docker reads them. */
function parseStages(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) {
      continue;
    }
    const continued = line.endsWith('\\');
    pending += `${continued ? line.slice(0, -1) : line} `;
    if (!continued) {
      logical.push(pending.trim());
      pending = '';
    }
  }

  const stages: Stage[] = [];
  for (const l of logical) {
    const [op, ...rest] = l.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ image: m[1]!, name: m[2], steps: [] });
    } else {
      stages.at(-1)!.steps.push({ op: op!.toUpperCase(), args });
    }
  }

  return stages;
}

function copyParts(step: Step): { from?: string; sources: string[]; dest: string } {
  const words = step.args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));

  return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const s of stage.steps.filter((x) => x.op === 'ENV')) {
    for (const pair of s.args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      assert.ok(eq > 0, `ENV uses the key=value form: ${s.args}`);
      env.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }

  return env;
}

function workdirOf(stage: Stage): string {
  return stage.steps.filter((s) => s.op === 'WORKDIR').at(-1)!.args;
}

/** A .dockerignore pattern as a regular expression over context-relative paths. */
function ignoreRegex(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+/, '')
    .split('**/')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('(?:.*/)?');

  // An excluded folder excludes everything under it.
  return new RegExp(`^${body}(?:/.*)?$`);
}

const ignorePatterns = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const isIgnored = (path: string) => ignorePatterns.some((p) => ignoreRegex(p).test(path));

const stages = parseStages(dockerfile);
const build = stages[0]!;
const runtime = stages.at(-1)!;

function manifestDocs(): Doc[] {
  const dir = join(root, 'deploy/k8s');

  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter((d): d is Doc => typeof d?.kind === 'string');
}

function podSpecOf(d: Doc): Doc | undefined {
  return d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template.spec : d.spec?.template?.spec;
}

/** Every pod spec of the manifests with the containers of it that run the Spark Den image. */
const hubPods = manifestDocs().flatMap((d) => {
  const pod = podSpecOf(d);
  const containers = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as Doc[];
  const ours = containers.filter((c) => String(c.image).startsWith(`${hubImage}:`));

  return ours.length === 0 ? [] : [{ name: d.metadata.name as string, pod: pod!, ours }];
});

test('two stages on the Debian bookworm Node 20 images', () => {
  assert.is(build.image, 'node:20-bookworm');
  assert.is(runtime.image, 'node:20-bookworm-slim');
  assert.is(stages.length, 2);
});

test('every COPY from the context names a repository path that is not ignored', () => {
  const copies = stages.flatMap((s) => s.steps.filter((x) => x.op === 'COPY').map(copyParts));
  const fromContext = copies.filter((c) => c.from === undefined);
  assert.ok(fromContext.length > 0);
  for (const c of fromContext) {
    for (const src of c.sources) {
      const rel = posix.normalize(src).replace(/\/$/, '');
      assert.ok(existsSync(join(root, rel)), `COPY ${src}: exists in the repository`);
      if (rel !== '.') {
        assert.not.ok(isIgnored(rel), `COPY ${src}: not excluded by .dockerignore`);
      }
    }
  }
});

test('npm ci sees every workspace package.json the root names', () => {
  const workspaces = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  const ci = build.steps.findIndex((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
  assert.ok(ci > 0, 'the build stage runs npm ci');
  const before = build.steps
    .slice(0, ci)
    .filter((s) => s.op === 'COPY')
    .flatMap((s) => copyParts(s).sources);
  for (const w of workspaces) {
    assert.ok(before.includes(`${w}/package.json`), `${w}/package.json is copied before npm ci`);
  }
  assert.ok(before.includes('package-lock.json'), 'the lock file is copied before npm ci');
});

test('.dockerignore keeps installed, built and stored files out of the context', () => {
  const kept = ['gateway/src/bin/start.ts', 'deploy/backup/backup.sh', 'package-lock.json'];
  const dropped = [
    'node_modules/tsx/package.json',
    'gateway/node_modules/x/index.js',
    '.data/keys/jwt.key',
    'gateway/.data/x',
    'web-client/dist/index.html',
    'artifacts/bench.json',
    '.git/HEAD',
  ];
  for (const p of kept) {
    assert.not.ok(isIgnored(p), `${p} is in the context`);
  }
  for (const p of dropped) {
    assert.ok(isIgnored(p), `${p} is left out of the context`);
  }
});

test("the runtime user is non-root and the manifests' runAsUser", () => {
  const user = runtime.steps.filter((s) => s.op === 'USER').at(-1)?.args;
  assert.ok(user, 'the runtime stage sets USER');
  // Numeric, so the kubelet can check runAsNonRoot against the image itself.
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  assert.ok(m, `USER ${user} is numeric`);
  const uid = Number(m[1]);
  assert.is.not(uid, 0, 'not root');

  assert.ok(hubPods.length >= 3, 'the hub, SFU and keys workloads run the image');
  for (const { name, pod, ours } of hubPods) {
    for (const c of ours) {
      const runAs = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      assert.is(runAs, uid, `${name}/${c.name}: runAsUser`);
      const group = c.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup;
      if (m[2] !== undefined && group !== undefined) {
        assert.is(group, Number(m[2]), `${name}/${c.name}: runAsGroup`);
      }
    }
  }
});

test('the manifests run the image from its working directory, on files the tree has', () => {
  const workdir = workdirOf(runtime);
  assert.is(workdirOf(build), workdir, 'the tree is copied to the same place it was built');
  const entry = JSON.parse(runtime.steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
  for (const { name, ours } of hubPods) {
    for (const c of ours) {
      const argv = ((c.command as string[] | undefined) ?? entry).concat(c.args ?? []);
      const files = argv.filter((a) => a.endsWith('.ts') || a.startsWith(`${workdir}/`));
      assert.ok(files.length > 0, `${name}/${c.name} runs a file of the tree`);
      for (const f of files) {
        const rel = f.startsWith(`${workdir}/`) ? f.slice(workdir.length + 1) : f;
        assert.ok(existsSync(join(root, rel)), `${name}/${c.name}: ${f} is in the image`);
        assert.not.ok(isIgnored(rel), `${name}/${c.name}: ${f} is not left out of the context`);
      }
    }
  }
});

test('every Spark Den variable the image sets is one the hub reads', () => {
  const hubConfig = readFileSync(join(root, 'gateway/src/bin/hub-config.ts'), 'utf8');
  const names = [...envOf(runtime).keys()].filter((k) => k.startsWith('SPARKDEN_'));
  assert.ok(names.length > 0);
  for (const name of names) {
    assert.match(hubConfig, new RegExp(`\\b${name}\\b`), `${name} is read by hub-config.ts`);
  }
});

test('MEDIASOUP_WORKER_BIN names the verified worker the runtime copies', () => {
  const bin = envOf(runtime).get('MEDIASOUP_WORKER_BIN');
  assert.ok(bin, 'the runtime stage sets MEDIASOUP_WORKER_BIN');

  const copy = runtime.steps
    .filter((s) => s.op === 'COPY')
    .map(copyParts)
    .find((c) => [c.dest, posix.join(c.dest, posix.basename(c.sources[0] ?? ''))].includes(bin));
  assert.ok(copy, `a COPY puts a file at ${bin}`);
  assert.is(copy.from, build.name, 'copied from the build stage');
  assert.is(copy.sources.length, 1);
  // The build stage puts build-worker.sh's verified binary (--print names it) at the source.
  const installs = build.steps.some(
    (s) =>
      s.op === 'RUN' &&
      s.args.includes('sfu/scripts/build-worker.sh --print') &&
      s.args.includes(copy.sources[0]!),
  );
  assert.ok(installs, `the build stage installs the verified worker at ${copy.sources[0]}`);
  assert.ok(existsSync(join(root, 'sfu/scripts/build-worker.sh')));
});

/** The packages `apt-get install` names in a stage. */
function aptPackages(stage: Stage): Set<string> {
  const pkgs = new Set<string>();
  for (const s of stage.steps.filter((x) => x.op === 'RUN')) {
    for (const cmd of s.args.split('&&')) {
      const m = /apt-get\s+install\s+(.*)$/.exec(cmd.trim());
      for (const w of m?.[1]?.split(/\s+/) ?? []) {
        if (w !== '' && !w.startsWith('-')) {
          pkgs.add(w);
        }
      }
    }
  }

  return pkgs;
}

/** The shared libraries `ldd` resolves for `bin`, as absolute paths. */
function sharedLibraries(bin: string): string[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    assert.not.match(line, /not found/, `ldd resolves every library: ${line.trim()}`);
    if (m) {
      libs.push(m[1]!);
    }
  }

  return libs;
}

/** Each library's Debian package, trying its path, its real path and the /usr-merged twin. */
function owningPackages(libs: string[]): Map<string, string | undefined> {
  const candidates = new Map<string, string[]>();
  for (const lib of libs) {
    const paths = [lib, realpathSync(lib)];
    const twins = paths.map((p) => (p.startsWith('/usr/') ? p.slice(4) : `/usr${p}`));
    candidates.set(lib, [...new Set([...paths, ...twins])]);
  }
  // Paths dpkg does not know make it exit 1; the rest are still printed.
  const r = spawnSync('dpkg', ['-S', ...[...candidates.values()].flat()], { encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `dpkg -S ran: ${r.error?.message ?? r.stderr}`);
  const owner = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([^\s:,]+)(?::[a-z0-9]+)?(?:,[^:]+)*: (\/\S+)$/.exec(line);
    if (m) {
      owner.set(m[2]!, m[1]!);
    }
  }

  return new Map(
    [...candidates].map(([lib, paths]) => [lib, paths.map((p) => owner.get(p)).find(Boolean)]),
  );
}

function cachedWorker(): string | undefined {
  const r = spawnSync('bash', [join(root, 'sfu/scripts/build-worker.sh'), '--print'], {
    encoding: 'utf8',
  });

  return r.status === 0 ? r.stdout.trim() : undefined;
}

test('the runtime installs the package of each shared library of this worker', () => {
  const bin = cachedWorker();
  const codename = /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (bin === undefined) {
    console.log('SKIP: no cached mediasoup worker (run bash sfu/scripts/build-worker.sh)');
    return;
  }
  if (codename !== 'bookworm') {
    console.log(`SKIP: this machine is Debian ${codename}, the image bookworm: names differ`);
    return;
  }

  const installed = aptPackages(runtime);
  const owners = owningPackages(sharedLibraries(bin));
  assert.ok(owners.size > 5, 'ldd lists the libraries');
  for (const [lib, pkg] of owners) {
    assert.ok(pkg, `${lib} belongs to a Debian package`);
    assert.ok(installed.has(pkg), `${lib} (${pkg}) is installed by the runtime stage`);
  }
});

test.run();
