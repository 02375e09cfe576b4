/**
 * Frames decoded per second by each parser, beside a loop that only reads the same bytes
 * from a Buffer (the floor any decoder pays), measured in the same run; the ratio says what
 * the decoding costs over merely touching the bytes.
 */
import { readFileSync } from 'node:fs';

import { decodeGatt } from './gatt/decode-gatt.js';
import { decodeHl7 } from './hl7/decode-hl7.js';
import { decodeMqttJson } from './mqtt/mqtt-json.js';
import { SerialFrameReader } from './serial/frame-reader.js';
import { SERIAL_PROTOCOLS } from './serial/protocols.js';
import { SERIAL_DRIVERS } from './types.js';

const MS = Number(process.env.SD_BENCH_MS ?? 700);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const fixture = <T>(path: string) =>
  JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;

/** Frames per second of `step`, where one call handles `framesPerCall` frames. */
function rate(step: () => void, framesPerCall: number): number {
  for (let i = 0; i < 200; i++) {
    step();
  }
  const until = performance.now() + MS;
  const started = performance.now();
  let calls = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) {
      step();
    }
    calls += 20;
  }

  return (calls * framesPerCall * 1000) / (performance.now() - started);
}

let sink = 0;
/** The peer: read every byte of the same frames from a Buffer, and nothing else. */
function readOnly(frames: Buffer[]): () => void {
  return () => {
    for (const f of frames) {
      for (let i = 0; i < f.length; i++) {
        sink += f.readUInt8(i);
      }
    }
  };
}

function report(
  name: string,
  frames: Buffer[],
  decode: () => void,
  framesPerCall = frames.length,
): void {
  const ours = rate(decode, framesPerCall);
  const peer = rate(readOnly(frames), framesPerCall);
  const fmt = (n: number) => n.toExponential(2).padStart(9);
  console.log(
    `${name.padEnd(28)} ours ${fmt(ours)} frames/s   buffer read ${fmt(peer)} frames/s   ratio ${(ours / peer).toFixed(3)}`,
  );
}

const serialFiles = {
  'contec-cms50d': 'contec-live5.json',
  'contec-cms50d-v46': 'contec-v46.json',
  'nonin-format2': 'nonin-format2.json',
};
for (const driver of SERIAL_DRIVERS) {
  const { vectors } = fixture<{ vectors: Array<{ hex: string }> }>(
    `./serial/fixtures/${serialFiles[driver]}`,
  );
  const one = Buffer.concat(vectors.map((v) => hex(v.hex)));
  const stream = Buffer.concat(Array.from({ length: 200 }, () => one));
  const frameLength = { 'contec-cms50d': 5, 'contec-cms50d-v46': 9, 'nonin-format2': 5 }[driver];
  const reader = new SerialFrameReader(SERIAL_PROTOCOLS[driver]);
  report(`serial ${driver}`, [stream], () => void reader.push(stream), stream.length / frameLength);
}

const gatt = fixture<{ vectors: Array<{ uuid: string; hex: string }> }>(
  './gatt/fixtures/gatt-vectors.json',
);
const byUuid = new Map<string, Buffer[]>();
for (const v of gatt.vectors) {
  const uuid = v.uuid
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/^0000(....)-.*$/, '$1');
  byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), hex(v.hex)]);
}
for (const [uuid, frames] of byUuid) {
  report(`gatt 0x${uuid}`, frames, () => frames.forEach((f) => decodeGatt(uuid, f)));
}

const oru = fixture<{ segments: string[] }>('./hl7/fixtures/oru-r01.json').segments.join('\r');
report('hl7 ORU^R01', [Buffer.from(oru)], () => void decodeHl7(oru));

const json = Buffer.from(
  '{"oximeter":{"spo2":97,"pulse":72},"thermometer":{"celsius":36.8},"scale":{"grams":78400}}',
);
const mapping = [
  { path: 'oximeter.spo2', code: 'spo2' as const },
  { path: 'oximeter.pulse', code: 'heart-rate' as const },
  { path: 'thermometer.celsius', code: 'body-temp' as const },
  { path: 'scale.grams', code: 'body-weight' as const, unit: 'kg', scale: 0.001 },
];
report('mqtt json', [json], () => void decodeMqttJson('t', json, mapping));

if (sink === -1) {
  console.log('unreachable');
}
