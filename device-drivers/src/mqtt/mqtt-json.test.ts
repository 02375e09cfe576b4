import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DriverError } from '../errors.js';
import type { MqttFieldMapping } from '../types.js';
import { checkMapping, decodeMqttJson, topicMatches } from './mqtt-json.js';

const mapping: MqttFieldMapping[] = [
  { path: 'oximeter.spo2', code: 'spo2' },
  { path: 'scale.grams', code: 'body-weight', unit: 'kg', scale: 0.001 },
  { path: '', code: 'body-temp', topic: 'esphome/+/sensor/temperature/state' },
];
const enc = (s: string) => Buffer.from(s);

test('JSON fields map to readings with units and scale', () => {
  const readings = decodeMqttJson(
    'home/gw',
    enc('{"oximeter":{"spo2":97},"scale":{"grams":78400}}'),
    mapping,
    'home/gw',
  );

  assert.equal(readings, [
    { code: 'spo2', value: 97, unit: '%', quality: [] },
    { code: 'body-weight', value: 78.4, unit: 'kg', quality: [] },
  ]);
});

test('an ESPHome bare-number state topic maps by topic filter', () => {
  const readings = decodeMqttJson(
    'esphome/bedroom/sensor/temperature/state',
    enc('37.4'),
    mapping,
    'home/gw',
  );

  assert.equal(readings, [{ code: 'body-temp', value: 37.4, unit: 'Cel', quality: [] }]);
});

test('"nan" is a data-absent reason, never a number', () => {
  const readings = decodeMqttJson(
    'home/gw',
    enc('{"oximeter":{"spo2":"nan"}}'),
    mapping,
    'home/gw',
  );

  assert.equal(readings, [{ code: 'spo2', dataAbsentReason: 'not-a-number', quality: [] }]);
});

test('not JSON is MALFORMED; a mapped field that is not a number is BAD_VALUE', () => {
  const codes = ['{"oximeter":', '{"oximeter":{"spo2":"high"}}'].map((text) => {
    try {
      decodeMqttJson('home/gw', enc(text), mapping, 'home/gw');
      return 'none';
    } catch (e) {
      assert.instance(e, DriverError);
      return (e as DriverError).code;
    }
  });

  assert.equal(codes, ['MALFORMED', 'BAD_VALUE']);
});

test('a string value must be a plain decimal: hex, exponent and padding are BAD_VALUE', () => {
  const decode = (spo2: string) =>
    decodeMqttJson('home/gw', enc(JSON.stringify({ oximeter: { spo2 } })), mapping, 'home/gw');
  const codes = ['0x61', '1e2', ' 97', 'Infinity'].map((spo2) => {
    try {
      return decode(spo2);
    } catch (e) {
      assert.instance(e, DriverError);
      return (e as DriverError).code;
    }
  });

  assert.equal(codes, ['BAD_VALUE', 'BAD_VALUE', 'BAD_VALUE', 'BAD_VALUE']);
  assert.equal(decode('97.0'), [{ code: 'spo2', value: 97, unit: '%', quality: [] }]);
});

test('topic filters follow MQTT wildcards', () => {
  assert.ok(topicMatches('a/+/c', 'a/b/c'));
  assert.ok(topicMatches('a/#', 'a/b/c'));
  assert.not.ok(topicMatches('a/+', 'a/b/c'));
  assert.not.ok(topicMatches('a/b', 'a/b/c'));
});

test('a mapping with a unit the vital does not accept is a TypeError naming it', () => {
  assert.throws(
    () => checkMapping([{ path: 'x', code: 'spo2', unit: 'kg' }]),
    /mapping\[0\]\.unit/,
  );
});

test.run();
