/**
 * The systemd units: `systemd-analyze verify` accepts each without a word (it only warns on an
 * unknown or misspelt directive, so any output fails), and each keeps its hardening.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const here = fileURLToPath(new URL('.', import.meta.url));
const units = ['sparkden-hub.service', 'sparkden-agent.service'];

function directives(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of readFileSync(join(here, unit), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) {
      found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
    }
  }

  return found;
}

test('systemd-analyze verify accepts each unit silently', () => {
  const tool = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  assert.is(tool.status, 0, 'systemd-analyze is installed (Debian package systemd)');
  for (const unit of units) {
    const r = spawnSync('systemd-analyze', ['verify', join(here, unit)], { encoding: 'utf8' });
    assert.is(r.status, 0, `${unit}: ${r.stderr}`);
    assert.is(`${r.stdout}${r.stderr}`.trim(), '', `${unit} verifies without warnings`);
  }
});

test('each unit runs unprivileged and hardened', () => {
  for (const unit of units) {
    const d = directives(unit);
    const one = (k: string) => d.get(k)?.at(-1);
    assert.ok(one('User') && one('User') !== 'root', `${unit}: a non-root User`);
    for (const [k, v] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['RestrictSUIDSGID', 'yes'],
      ['SystemCallArchitectures', 'native'],
    ] as const) {
      assert.is(one(k), v, `${unit}: ${k}=${v}`);
    }
  }
  assert.is(directives('sparkden-hub.service').get('CapabilityBoundingSet')?.at(-1), '');
});

test.run();
