import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { parseConfig } from '../config/load-config.js';
import type { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { LocalAlarms, type AlarmEntry } from './local-alarms.js';

let dir: string;

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'sd-alarm-cmd-'));
});

test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const alarm: AlarmEntry = {
  id: '0190a0a0-0000-7000-8000-000000000001',
  patient: 'Patient/secret-42',
  deviceId: 'oxi-1',
  kind: 'local-threshold',
  severity: 'urgent',
  code: 'SPO2_LOW',
  reason: 'below-threshold',
  raisedAt: '2026-01-01T10:00:00.000Z',
};

/** A command that records its argv, its environment's alarm fields and its stdin. */
function recorder(out: string): string {
  const script = join(dir, 'record.mjs');
  writeFileSync(
    script,
    `import { writeFileSync } from 'node:fs';
let stdin = '';
process.stdin.on('data', (d) => (stdin += d));
process.stdin.on('end', () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SPARKDEN_')));
  writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(2), env, stdin }));
});
`,
  );

  return script;
}

test('the command runs with its configured argv, the alarm JSON on stdin, no PHI in argv or env', async () => {
  const out = join(dir, 'out.json');
  const alarms = new LocalAlarms({
    rules: [],
    command: [process.execPath, recorder(out), '--ward', 'north 3'],
    log: createLogger({ level: 'silent' }),
  });

  await alarms.raiseLocally({ ...alarm });

  const seen = JSON.parse(readFileSync(out, 'utf8')) as {
    argv: string[];
    env: Record<string, string>;
    stdin: string;
  };
  assert.equal(seen.argv, ['--ward', 'north 3'], 'an argument with a space stays one argument');
  assert.equal(JSON.parse(seen.stdin), alarm);
  assert.equal(seen.env, {
    SPARKDEN_ALARM_ID: alarm.id,
    SPARKDEN_ALARM_CODE: 'SPO2_LOW',
    SPARKDEN_ALARM_SEVERITY: 'urgent',
    SPARKDEN_DEVICE_ID: 'oxi-1',
  });
  assert.not.match(JSON.stringify(seen.argv) + JSON.stringify(seen.env), /secret-42/);
});

test('a command that cannot start or fails is logged by code, not thrown', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'warn',
    destination: { write: (l: string) => lines.push(JSON.parse(l)) },
  });
  const missing = new LocalAlarms({ rules: [], command: [join(dir, 'no-such-program')], log });
  const failing = new LocalAlarms({ rules: [], command: ['/bin/false'], log });

  await missing.raiseLocally({ ...alarm });
  await failing.raiseLocally({ ...alarm });

  const failed = lines.filter((l) => l.event === 'localAlarmCommandFailed');
  assert.equal(
    failed.map((l) => l.code ?? l.exitCode),
    ['ENOENT', 1],
  );
  assert.not.match(JSON.stringify(lines), /secret-42/);
});

test('the command is a list whose program is an absolute path', () => {
  const fieldsOf = (command: unknown) => {
    try {
      parseConfig(JSON.stringify({ stateDir: '/s', localAlarm: { command } }), '/a.yaml');

      return [];
    } catch (error) {
      return (error as ConfigError).issues.map((i) => i.field);
    }
  };

  assert.equal(fieldsOf(['/usr/local/bin/page-nurse', '--ward', '3']), []);
  assert.equal(fieldsOf('/usr/local/bin/page-nurse --ward 3'), ['localAlarm.command']);
  assert.equal(fieldsOf(['page-nurse']), ['localAlarm.command.0']);
  assert.ok(fieldsOf([]).includes('localAlarm.command'));
});

test.run();
