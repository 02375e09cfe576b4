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

test('a bad entry under patients names its line and place, never the MRN key', () => {
  const text = [
    'stateDir: /var/lib/sd',
    'devices:',
    '  - id: icu-1',
    '    driver: hl7-mllp',
    '    patient: p-1',
    '    mllp: { port: 2575 }',
    '    patients:',
    '      MRN-00012340: p-1',
    '      MRN-00012399: p-2',
    '      MRN-00012345: ""',
  ].join('\n');
  const issues = issuesOf(text);

  assert.is(issues.length, 1);
  assert.is(issues[0]?.field, 'devices.0.patients[key 3]');
  assert.is(issues[0]?.line, 10);
  try {
    parseConfig(text, '/a.yaml');
  } catch (error) {
    assert.not.match((error as Error).message, /MRN/);
    assert.match((error as Error).message, /\/a\.yaml:10:\d+ devices\.0\.patients\[key 3\]: /);
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

const device = (...lines: string[]) =>
  ['stateDir: /var/lib/sd', 'devices:', '  - id: dev-1', '    patient: p-1', ...lines].join('\n');

test('an unknown driver is refused at load, on its line, naming the drivers', () => {
  const issues = issuesOf(device('    driver: contec-cms99', '    path: /dev/ttyUSB0'));
  assert.is(issues.length, 1);
  assert.is(issues[0]?.field, 'devices.0.driver');
  assert.is(issues[0]?.line, 5);
  assert.match(issues[0]?.message ?? '', /contec-cms50d.*ndjson-file/);
});

test('each driver needs its transport block, reported on the device', () => {
  const cases: [string, string, RegExp][] = [
    ['contec-cms50d', 'path', /serial port/],
    ['nonin-format2', 'path', /serial port/],
    ['ble-gatt', 'ble', /"ble" block/],
    ['hl7-mllp', 'mllp', /"mllp" block/],
    ['mqtt-json', 'mqtt', /"mqtt" block/],
    ['ndjson-file', 'file', /"file" block/],
  ];
  for (const [driver, field, message] of cases) {
    const issues = issuesOf(device(`    driver: ${driver}`));
    assert.is(issues.length, 1, driver);
    assert.is(issues[0]?.field, `devices.0.${field}`, driver);
    assert.is(issues[0]?.line, 3, `${driver}: the device's line`);
    assert.match(issues[0]?.message ?? '', message);
  }
});

test('a missing mllp port names the line and field of the block', () => {
  const issues = issuesOf(device('    driver: hl7-mllp', '    mllp:', '      host: 0.0.0.0'));
  assert.is(issues.length, 1);
  assert.is(issues[0]?.field, 'devices.0.mllp.port');
  assert.is(issues[0]?.line, 7);
});

test('a BLE device needs an address or a name', () => {
  const issues = issuesOf(device('    driver: ble-gatt', '    ble:', '      fetchStored: true'));
  assert.is(issues[0]?.field, 'devices.0.ble');
  assert.is(issues[0]?.line, 7);
  assert.match(issues[0]?.message ?? '', /address.*name/);
});

test('an MQTT mapping unit that is not a UCUM unit of its code is refused on its line', () => {
  const issues = issuesOf(
    device(
      '    driver: mqtt-json',
      '    mqtt:',
      '      url: mqtt://127.0.0.1:1883',
      '      topic: home/ox',
      '      mapping:',
      '        - { path: spo2, code: spo2 }',
      '        - { path: temp, code: body-temp, unit: F }',
      '        - { path: hr, code: heart-rate, scale: 0 }',
    ),
  );
  assert.equal(
    issues.map((i) => [i.field, i.line]),
    [
      ['devices.0.mqtt.mapping.2.scale', 12],
      ['devices.0.mqtt.mapping.1.unit', 11],
    ].sort((a, b) => Number(a[1]) - Number(b[1])),
  );
  assert.match(issues.find((i) => i.field.endsWith('unit'))?.message ?? '', /Cel, \[degF\]/);
});

test('a block of another transport is refused, and device ids are unique', () => {
  const issues = issuesOf(
    [
      'stateDir: /var/lib/sd',
      'devices:',
      '  - { id: ox-1, patient: p-1, driver: contec-cms50d, path: /dev/ttyUSB0, mllp: { port: 2575 } }',
      '  - { id: ox-1, patient: p-2, driver: hl7-mllp, mllp: { port: 2576 } }',
    ].join('\n'),
  );
  assert.equal(
    issues.map((i) => [i.field, i.line]),
    [
      ['devices.0.mllp', 3],
      ['devices.1.id', 4],
    ],
  );
  assert.match(issues[0]?.message ?? '', /not used by driver contec-cms50d/);
  assert.match(issues[1]?.message ?? '', /duplicate/);
});

test('a local alarm on a code it cannot evaluate is refused on its line', () => {
  const issues = issuesOf(
    [
      'stateDir: /var/lib/sd',
      'alarms:',
      '  - { name: SYS_HIGH, code: bp-systolic, above: 180 }',
      '  - name: BP_HIGH',
      '    code: bp-panel',
      '    above: 180',
    ].join('\n'),
  );
  assert.is(issues.length, 1);
  assert.is(issues[0]?.field, 'alarms.1.code');
  assert.is(issues[0]?.line, 5);
  assert.match(issues[0]?.message ?? '', /bp-systolic/);
});

test('a device clock is stored unless declared live', () => {
  const config = parseConfig(
    device('    driver: hl7-mllp', '    mllp: { port: 2575 }', '    clock: live'),
    '/a.yaml',
  );
  const file = parseConfig(
    device('    driver: ndjson-file', '    file: { path: d.ndjson }'),
    '/a.yaml',
  );

  assert.is(config.devices[0]?.clock, 'live');
  assert.is(file.devices[0]?.clock, 'stored');
  const bad = issuesOf(
    device('    driver: hl7-mllp', '    mllp: { port: 2575 }', '    clock: ntp'),
  );
  assert.is(bad[0]?.field, 'devices.0.clock');
});

test('a hub URL must be https, or http to loopback', () => {
  const issues = issuesOf('stateDir: /var/lib/sd\nhub:\n  url: http://hub.example:8080\n');
  assert.is(issues[0]?.field, 'hub.url');
  assert.is(issues[0]?.line, 3);
  assert.match(issues[0]?.message ?? '', /https/);

  const dev = parseConfig('stateDir: /x\nhub:\n  url: http://127.0.0.1:8080\n', '/a.yaml');
  assert.is(dev.hub.url, 'http://127.0.0.1:8080');
});

test.run();
