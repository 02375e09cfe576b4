/**
 * The Kubernetes manifests, checked without a cluster: every document parses, every workload
 * sits in a namespace whose Pod Security level admits it, runs hardened with probes and
 * resources, can read the Secrets it mounts, and names Secrets, claims and variables that exist.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';

type Doc = Record<string, any>;

const here = fileURLToPath(new URL('.', import.meta.url));
const hubConfig = readFileSync(join(here, '../../gateway/src/bin/hub-config.ts'), 'utf8');

function load(): Doc[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(here, f), 'utf8')).map((d) => {
        assert.equal(d.errors, [], `${f} parses`);

        const doc: Doc = { ...(d.toJS() as Doc), file: f };

        return doc;
      }),
    )
    .filter((d) => d.kind !== undefined);
}

const docs = load();
const workloads = docs.filter((d) =>
  ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob'].includes(d.kind),
);
const ns = (d: Doc) => d.metadata?.namespace as string;
// A CronJob's pod template sits one Job deeper.
const templateOf = (d: Doc) =>
  (d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template : d.spec.template) as Doc;
const podOf = (d: Doc) => templateOf(d).spec as Doc;
// Run-to-completion pods: no probes, and a /tmp only if they write one.
const isBatch = (d: Doc) => d.kind === 'Job' || d.kind === 'CronJob';
const levelOf = (name: string) =>
  docs.find((d) => d.kind === 'Namespace' && d.metadata.name === name)?.metadata.labels?.[
    'pod-security.kubernetes.io/enforce'
  ] as string | undefined;

test('every workload lives in a declared namespace whose Pod Security level admits it', () => {
  for (const w of workloads) {
    const level = levelOf(ns(w));
    assert.ok(level, `${w.metadata.name}: namespace ${ns(w)} is declared with a level`);
    const pod = podOf(w);
    const hostAccess = pod.hostNetwork === true || pod.hostPID === true || pod.hostIPC === true;
    // [Pod Security Standards: host namespaces are refused by baseline and restricted]
    if (hostAccess) {
      assert.is(level, 'privileged', `${w.metadata.name} uses the host network`);
    }
    if (level === 'restricted') {
      assert.ok(pod.securityContext?.runAsNonRoot, `${w.metadata.name}: runAsNonRoot`);
      assert.is(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', w.metadata.name);
    }
  }
});

test('containers are hardened, probed and sized', () => {
  for (const w of workloads) {
    const pod = podOf(w);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers] as Doc[]) {
      const name = `${w.metadata.name}/${c.name}`;
      assert.is(c.securityContext?.allowPrivilegeEscalation, false, `${name}: no escalation`);
      assert.equal(c.securityContext?.capabilities?.drop, ['ALL'], `${name}: drops ALL`);
      assert.is(c.securityContext?.readOnlyRootFilesystem, true, `${name}: read-only root`);
      if (!isBatch(w)) {
        assert.ok(c.readinessProbe && c.livenessProbe, `${name}: readiness and liveness probes`);
        assert.ok(c.resources?.requests && c.resources?.limits?.memory, `${name}: resources`);
      }
      // tsx writes its transform cache under the temporary directory.
      const runsTsx = JSON.stringify([c.command, c.args]).includes('tsx') || !c.command;
      const runsHub = String(c.image).includes('sparkden/hub') && runsTsx;
      const mounts = (c.volumeMounts ?? []) as Doc[];
      if (runsHub) {
        assert.ok(
          mounts.some((m) => m.mountPath === '/tmp'),
          `${name}: a writable /tmp`,
        );
      }
    }
  }
});

test('a non-root pod can read the Secrets it mounts, and they exist in its namespace', () => {
  const secrets = docs.filter((d) => d.kind === 'Secret');
  const claims = docs.filter((d) => d.kind === 'PersistentVolumeClaim');
  for (const w of workloads) {
    const pod = podOf(w);
    for (const v of (pod.volumes ?? []) as Doc[]) {
      if (v.secret) {
        const where = `${w.metadata.name}: secret ${v.secret.secretName}`;
        assert.ok(
          secrets.some((s) => s.metadata.name === v.secret.secretName && ns(s) === ns(w)),
          `${where} is listed in secrets.example.yaml in ${ns(w)}`,
        );
        const mode = v.secret.defaultMode ?? 0o644;
        const user = pod.securityContext?.runAsUser ?? 0;
        // Secret files belong to root; a non-root pod reads them through fsGroup's group bits.
        if (user !== 0 && (mode & 0o004) === 0) {
          assert.ok(pod.securityContext?.fsGroup, `${where}: fsGroup set`);
          assert.ok((mode & 0o040) !== 0, `${where}: mode ${mode.toString(8)} is group-readable`);
        }
      }
      if (v.persistentVolumeClaim) {
        const claim = v.persistentVolumeClaim.claimName as string;
        const declared =
          claims.some((c) => c.metadata.name === claim && ns(c) === ns(w)) ||
          (w.spec.volumeClaimTemplates ?? []).some((t: Doc) => t.metadata.name === claim);
        assert.ok(declared, `${w.metadata.name}: claim ${claim} exists in ${ns(w)}`);
      }
    }
  }
});

test('every Spark Den variable the manifests set is one the hub reads', () => {
  const names = new Set<string>();
  for (const d of docs) {
    const text = JSON.stringify(d);
    for (const m of text.matchAll(/"(SPARKDEN_[A-Z0-9_]+)"/g)) {
      names.add(m[1]!);
    }
  }
  assert.ok(names.size > 5);
  for (const name of names) {
    const read = new RegExp(`\\b${name}\\b`).test(hubConfig);
    assert.ok(read, `${name} is read by gateway/src/bin/hub-config.ts`);
  }
});

test('every disruption budget selects a workload of its namespace', () => {
  for (const pdb of docs.filter((d) => d.kind === 'PodDisruptionBudget')) {
    const labels = pdb.spec.selector.matchLabels as Record<string, string>;
    const hit = workloads.some(
      (w) =>
        ns(w) === ns(pdb) &&
        Object.entries(labels).every(([k, v]) => templateOf(w).metadata?.labels?.[k] === v),
    );
    assert.ok(hit, `${pdb.metadata.name} selects a workload`);
  }
});

test.run();
