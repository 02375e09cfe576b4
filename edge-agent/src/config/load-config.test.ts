import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ConfigError } from '../errors.js';
import { parseConfig } from './load-config.js';
import { parsePushedConfig } from './schema.js';

function issuesOf(text: string) {
  try {
    parseConfig(text, '/etc/sparkden/agent.yaml');
  } catch (error) {
    assert.instance(error, ConfigError);

    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

test('a valid file gets defaults and absolute paths', () => {
  const config = parseConfig(
    [
      'stateDir: state',
      'devices:',
      '  - id: oxi-1',
      '    driver: contec-cms50d',
      '    patient: p-1',
      '    path: /dev/ttyUSB0',
    ].join('\n'),
    '/etc/sparkden/agent.yaml',
  );
  assert.is(config.stateDir, '/etc/sparkden/state');
  assert.is(config.queue.overflow, 'drop-oldest');
  assert.is(config.devices[0]?.enabled, true);
});

test('a wrong value is reported with its line, column and field', () => {
  const issues = issuesOf(
    [
      'stateDir: /var/lib/sd',
      'devices:',
      '  - id: oxi-1',
      '    driver: contec-cms50d',
      '    patient: p-1',
      '    baudRate: fast',
    ].join('\n'),
  );
  assert.is(issues.length, 1);
  assert.is(issues[0]?.field, 'devices.0.baudRate');
  assert.is(issues[0]?.line, 6);
  assert.is(issues[0]?.column, 15);
});

test('a missing field points at its parent, an unknown key at itself', () => {
  const issues = issuesOf(
    [
      'stateDir: /var/lib/sd',
      'devices:',
      '  - id: oxi-1',
      '    driver: x',
      '    baudrate: 9600',
    ].join('\n'),
  );
  const missing = issues.find((i) => i.field === 'devices.0.patient');
  const unknown = issues.find((i) => i.field === 'devices.0.baudrate');
  assert.is(missing?.line, 3);
  assert.is(unknown?.line, 5);
  assert.match(unknown?.message ?? '', /nrecognized/);
});

test('a YAML syntax error names its line', () => {
  const issues = issuesOf('stateDir: /x\ndevices: [\n  - id');
  assert.is(issues[0]?.field, '(syntax)');
  assert.ok((issues[0]?.line ?? 0) >= 2);
});

test('the error message lists file:line:column field: reason', () => {
  try {
    parseConfig('stateDir: 3\nqueue:\n  overflow: drop-everything\n', '/a.yaml');
    assert.unreachable();
  } catch (error) {
    assert.is((error as ConfigError).code, 'CONFIG_INVALID');
    assert.match((error as Error).message, /\/a\.yaml:3:13 queue\.overflow: /);
  }
});

test('the example config shipped with the agent is valid', () => {
  const file = fileURLToPath(new URL('../../agent.example.yaml', import.meta.url));
  const config = parseConfig(readFileSync(file, 'utf8'), file);
  assert.is(config.devices.length, 2);
});

test('a hub push keeps only the sections it sends, validated', () => {
  const onlyAlarms = parsePushedConfig({ alarms: [] });
  assert.ok(onlyAlarms.success);
  assert.equal(Object.keys(onlyAlarms.data), ['alarms']);

  const empty = parsePushedConfig({});
  assert.ok(empty.success);
  assert.equal(empty.data, {}, 'no defaults leak into an empty push (a bare key rotation)');

  const queue = parsePushedConfig({ queue: { maxBytes: 1024 } });
  assert.ok(queue.success);
  assert.is(queue.data.queue?.maxBytes, 1024);
  assert.is(queue.data.queue?.overflow, 'drop-oldest', 'defaults inside a sent section apply');

  const bad = parsePushedConfig({ devices: [{ id: 'x' }] });
  assert.not.ok(bad.success);
  assert.ok(bad.error?.issues.some((i) => i.path[0] === 'devices'));
});

test.run();
