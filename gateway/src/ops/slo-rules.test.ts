import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

import { createHubMetrics } from './metrics.js';

// The Prometheus rules that watch the SLOs (deploy/prometheus) must name metrics the hub
// really exports, and each alert must say how bad it is and where its runbook is.

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rulesFile = fileURLToPath(
  new URL('../../../deploy/prometheus/sparkden-rules.yml', import.meta.url),
);
const sloDoc = readFileSync(new URL('../../../docs/SLO.md', import.meta.url), 'utf8');
const rules = (
  parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((g) => g.rules);

async function exportedNames(): Promise<Set<string>> {
  const metrics = createHubMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') {
      for (const suffix of ['_bucket', '_count', '_sum']) {
        names.add(m.name + suffix);
      }
    }
  }

  return names;
}

test('every alert has an expression, a duration, a severity and a runbook in docs/SLO.md', () => {
  assert.ok(rules.length >= 5);
  for (const rule of rules) {
    assert.type(rule.alert, 'string');
    assert.type(rule.expr, 'string', `${rule.alert} has an expression`);
    assert.match(rule.for ?? '', /^\d+[smh]$/, `${rule.alert} waits before firing`);
    assert.ok(['page', 'ticket'].includes(rule.labels?.severity ?? ''), `${rule.alert} severity`);
    const anchor = /^docs\/SLO\.md#([a-z-]+)$/.exec(rule.annotations?.runbook ?? '');
    assert.ok(anchor, `${rule.alert} links its runbook`);
    assert.ok(sloDoc.includes(`id="${anchor[1]}"`), `docs/SLO.md has #${anchor[1]}`);
    assert.ok(sloDoc.includes(rule.alert!), `docs/SLO.md names ${rule.alert}`);
  }
});

test('every sparkden_* metric a rule uses is exported by the hub', async () => {
  const exported = await exportedNames();
  const used = new Set(rules.flatMap((r) => r.expr?.match(/\bsparkden_[a-z_]+/g) ?? []));
  assert.ok(used.size >= 5);
  for (const name of used) {
    assert.ok(exported.has(name), `${name} is exported`);
  }
});

test.run();
