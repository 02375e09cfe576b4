import { VITAL_CODES, type VitalCodeInfo } from '@sparkden/protocol';

import { parseDecimal } from '../decimal.js';
import { DriverError } from '../errors.js';
import type { DriverReading, MqttFieldMapping } from '../types.js';

/** [MQTT 3.1.1 §4.7] Whether a topic matches a filter with `+` and `#` wildcards. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') {
      return true;
    }
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) {
      return false;
    }
  }

  return f.length === t.length;
}

/** Checks a mapping once, at configuration time. @throws {TypeError} naming the bad entry. */
export function checkMapping(mapping: readonly MqttFieldMapping[]): void {
  mapping.forEach((m, i) => {
    const info: VitalCodeInfo | undefined = (VITAL_CODES as Record<string, VitalCodeInfo>)[m.code];
    if (!info) {
      throw new TypeError(`"mqtt.mapping[${i}].code" must be a vital code, not "${m.code}"`);
    }
    if (m.unit !== undefined && !info.units.includes(m.unit)) {
      throw new TypeError(`"mqtt.mapping[${i}].unit" must be one of ${info.units.join(', ')}`);
    }
    if (m.scale !== undefined && !(Number.isFinite(m.scale) && m.scale !== 0)) {
      throw new TypeError(`"mqtt.mapping[${i}].scale" must be a non-zero number`);
    }
  });
}

function lookup(payload: unknown, path: string): unknown {
  if (path === '') {
    return payload;
  }

  return path.split('.').reduce<unknown>((node, key) => {
    return node !== null && typeof node === 'object'
      ? (node as Record<string, unknown>)[key]
      : undefined;
  }, payload);
}

/** ESPHome publishes `nan` (and Home Assistant `unavailable`/`unknown`) when a sensor has no value. */
const ABSENT_WORDS: ReadonlyMap<string, NonNullable<DriverReading['dataAbsentReason']>> = new Map([
  ['nan', 'not-a-number'],
  ['unavailable', 'temp-unknown'],
  ['unknown', 'unknown'],
]);

/**
 * Maps one MQTT message to readings. The payload is JSON (an object, or a bare number as
 * ESPHome's per-sensor state topics send). Fields absent from the payload yield nothing;
 * `nan`/`unavailable` become a data-absent reason, never a number. A number sent as a string
 * must be a plain decimal ({@link parseDecimal}): `"0x61"` or `"1e2"` is `BAD_VALUE`.
 *
 * @throws {DriverError} `MALFORMED` (not JSON) or `BAD_VALUE` (a mapped field not a number).
 * @example
 * ```ts
 * decodeMqttJson('home/ox/state', Buffer.from('{"spo2":97}'), [{ path: 'spo2', code: 'spo2' }]);
 * ```
 */
export function decodeMqttJson(
  topic: string,
  payload: Uint8Array,
  mapping: readonly MqttFieldMapping[],
  defaultTopic = '#',
): DriverReading[] {
  const text = Buffer.from(payload).toString('utf8').trim();
  let json: unknown;
  try {
    json = ABSENT_WORDS.has(text.toLowerCase()) ? text.toLowerCase() : JSON.parse(text);
  } catch (cause) {
    throw new DriverError('MALFORMED', 'payload is not JSON', { offset: 0, cause });
  }

  const readings: DriverReading[] = [];
  for (const m of mapping) {
    if (!topicMatches(m.topic ?? defaultTopic, topic)) {
      continue;
    }
    const raw = lookup(json, m.path);
    if (raw === undefined || raw === null) {
      continue;
    }
    const absent = typeof raw === 'string' ? ABSENT_WORDS.get(raw.toLowerCase()) : undefined;
    if (absent) {
      readings.push({ code: m.code, dataAbsentReason: absent, quality: [] });
      continue;
    }
    // A JSON number is a number; a string must be a plain decimal (no hex, exponent, padding).
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : NaN;
    if (value === undefined || !Number.isFinite(value)) {
      throw new DriverError('BAD_VALUE', `field "${m.path}" is not a number`, { offset: 0 });
    }
    const scaled = m.scale === undefined ? value : Number((value * m.scale).toPrecision(12));
    const unit = m.unit ?? VITAL_CODES[m.code].unit;
    readings.push({ code: m.code, value: scaled, unit, quality: [] });
  }

  return readings;
}
