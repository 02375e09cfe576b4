import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parseObservation } from '@sparkden/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { runDecode, UNBOUND_PATIENT } from './decode.js';
import { parseHex } from './hex.js';

// `sparkden-agent decode`: in-process for each mode and failure, then through the real binary
// for the exit status and the one stderr line.

const BIN = fileURLToPath(new URL('../../bin/sparkden-agent.js', import.meta.url));
const ORU = JSON.parse(
  readFileSync(
    fileURLToPath(
      new URL('../../../device-drivers/src/hl7/fixtures/oru-r01.json', import.meta.url),
    ),
    'utf8',
  ),
) as { segments: string[] };
const dir = mkdtempSync(join(tmpdir(), 'sd-decode-'));
const oruFile = join(dir, 'oru.hl7');
writeFileSync(oruFile, `\u000b${ORU.segments.join('\r')}\u001c\r`);

function decode(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runDecode(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });

  return { code, stdout: out.join(''), stderr: err.join('') };
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('parseHex reads the usual capture spellings and refuses anything else', () => {
  assert.equal([...parseHex('86 40 05')], [0x86, 0x40, 0x05]);
  assert.equal([...parseHex('86:40:05')], [0x86, 0x40, 0x05]);
  assert.equal([...parseHex('0x86 0x40,0x05')], [0x86, 0x40, 0x05]);
  assert.equal([...parseHex('864005')], [0x86, 0x40, 0x05]);
  assert.throws(() => parseHex('00 48 zz'), /not a hex byte/);
  assert.throws(() => parseHex('0048f'), /half a byte/);
  assert.throws(() => parseHex('0x'), /not a hex byte/);
});

test('--gatt: the heart rate of a 2A37 value, as a line and as the protocol model', () => {
  const human = decode('--gatt', '2a37', '00 48');
  const json = decode('--gatt', '0x2A37', '00', '48', '--json');

  assert.is(human.code, 0);
  assert.match(human.stdout, /Heart Rate Measurement\nheart-rate\s+LOINC 8867-4\s+72 \/min/);
  assert.is(json.code, 0);
  const obs = parseObservation(JSON.parse(json.stdout));
  assert.is(obs.patient, UNBOUND_PATIENT);
  assert.is(obs.loinc, '8867-4');
  assert.is(obs.value, 72);
  assert.is(obs.unit, '/min');
  assert.is(obs.device.transport, 'ble');
});

test('--gatt: an SFLOAT special value is a data-absent reason, never a number', () => {
  // [GSS 0x2A1C] flags 0 (Celsius), FLOAT 0x007FFFFF = NaN
  const { code, stdout } = decode('--gatt', '2a1c', '00 ff ff 7f 00', '--json');

  assert.is(code, 0);
  const obs = parseObservation(JSON.parse(stdout));
  assert.is(obs.value, undefined);
  assert.is(obs.dataAbsentReason, 'not-a-number');
});

test('--gatt: blood pressure components and quality flags in the model', () => {
  // [GSS 0x2A35] flags 0x10 (status present), 120/80 mean 93 mmHg, status bit 1 cuff loose
  const { code, stdout } = decode('--json', '--gatt', '2a35', '10 78 00 50 00 5d 00 02 00');

  assert.is(code, 0);
  const obs = parseObservation(JSON.parse(stdout));
  assert.is(obs.code, 'bp-panel');
  assert.equal(
    obs.components?.map((c) => [c.loinc, c.value, c.unit]),
    [
      ['8480-6', 120, 'mm[Hg]'],
      ['8462-4', 80, 'mm[Hg]'],
      ['8478-0', 93, 'mm[Hg]'],
    ],
  );
  assert.ok(obs.quality.includes('cuff-loose'));
});

test('--serial: a Contec live frame is SpO2 and pulse', () => {
  const { code, stdout } = decode('--serial', 'contec-cms50d', '86 40 05 48 61', '--json');

  assert.is(code, 0);
  const obs = stdout
    .trim()
    .split('\n')
    .map((l) => parseObservation(JSON.parse(l)));
  assert.equal(
    obs.map((o) => [o.loinc, o.value, o.unit]),
    [
      ['2708-6', 97, '%'],
      ['8867-4', 72, '/min'],
    ],
  );
});

test('--hl7: an MLLP-framed ORU^R01; PID-3 only in the --json model', () => {
  const human = decode('--hl7', oruFile);
  const json = decode('--hl7', oruFile, '--json');

  assert.is(human.code, 0);
  assert.match(human.stdout, /^spo2\s+LOINC 2708-6\s+96 %/);
  assert.match(human.stdout, /bp-systolic 141 mm\[Hg\]; bp-diastolic 92 mm\[Hg\]/);
  assert.match(human.stdout, /PID-3 present/);
  assert.not.match(human.stdout, /BED-7/);
  const lines = json.stdout.trim().split('\n');
  assert.is(lines.length, 5);
  const first = JSON.parse(lines[0]) as { subject?: string };
  assert.is(first.subject, 'BED-7');
  assert.is(parseObservation(first).patient, UNBOUND_PATIENT);
});

test('malformed input: exit 2, one line naming the code and byte, nothing on stdout', () => {
  const cases: Array<[string[], string]> = [
    [['--gatt', '2a37', '00 48 zz'], 'decode: MALFORMED at byte 2: "zz" is not a hex byte\n'],
    [['--gatt', '2a37', '004'], 'decode: MALFORMED at byte 1: "004" ends with half a byte'],
    [['--gatt', '2a99', '00 48'], 'decode: UNSUPPORTED at byte 0: no parser for characteristic'],
    [['--gatt', 'heart', '00 48'], 'decode: UNSUPPORTED at byte 0: "heart" is not'],
    [['--serial', 'cms60', '86 40'], 'decode: UNSUPPORTED at byte 0: no serial driver "cms60"'],
    // [GSS 0x2A35] flags announce a time stamp the bytes do not hold
    [['--gatt', '2a35', '02 78 00 50 00 5d 00'], 'decode: TRUNCATED at byte 7: '],
    [['--serial', 'contec-cms50d', '86 40 05 48 61 86 40'], 'decode: TRUNCATED at byte 5: '],
    [['--serial', 'contec-cms50d', '06 40 05 48 61'], 'decode: SYNC at byte 0: '],
  ];
  for (const [argv, expected] of cases) {
    const { code, stdout, stderr } = decode(...argv);
    assert.is(code, 2, argv.join(' '));
    assert.is(stdout, '', argv.join(' '));
    assert.ok(stderr.startsWith(expected), `${argv.join(' ')}: ${stderr}`);
    assert.is(stderr.split('\n').length, 2, 'one line');
    const errorCode = expected.split(' ')[1];
    assert.is(stderr.split(errorCode).length, 2, `${errorCode} once`);
  }
});

test('--hl7: a bad OBX value exits 2 naming the byte of its segment', () => {
  const bad = join(dir, 'bad.hl7');
  const text = ORU.segments.join('\r').replace('|96|', '|9x6|');
  writeFileSync(bad, text);

  const { code, stderr } = decode('--hl7', bad);

  assert.is(code, 2);
  const at = Buffer.byteLength(text.slice(0, text.indexOf('OBX|1|')));
  assert.is(stderr, `decode: BAD_VALUE at byte ${at}: OBX-5 "9x6" is not a number\n`);
});

test('--hl7: the offset of an MLLP-framed capture counts its start block', () => {
  const bad = join(dir, 'bad-mllp.hl7');
  const text = `\u000b${ORU.segments.join('\r').replace('|96|', '|9x6|')}\u001c\r`;
  writeFileSync(bad, text);

  const { code, stderr } = decode('--hl7', bad);

  assert.is(code, 2);
  const at = Buffer.byteLength(text.slice(0, text.indexOf('OBX|1|')));
  assert.is(stderr, `decode: BAD_VALUE at byte ${at}: OBX-5 "9x6" is not a number\n`);
});

test('--hl7: offsets count CRLF line ends as captured files have them', () => {
  const bad = join(dir, 'bad-crlf.hl7');
  const text = ORU.segments.join('\r\n').replace('|96|', '|9x6|');
  writeFileSync(bad, text);

  const { code, stderr } = decode('--hl7', bad);

  assert.is(code, 2);
  const at = Buffer.byteLength(text.slice(0, text.indexOf('OBX|1|')));
  assert.is(stderr, `decode: BAD_VALUE at byte ${at}: OBX-5 "9x6" is not a number\n`);
});

test('usage mistakes exit 64, a missing file 66', () => {
  assert.is(decode('--gatt', '2a37').code, 64);
  assert.is(decode('--gatt', '2a37', '--serial', 'nonin-format2', '00').code, 64);
  assert.is(decode('--driver', 'contec-cms50d', '--hex', '86').code, 64);
  assert.is(decode('--hl7', join(dir, 'missing.hl7')).code, 66);
});

test('the binary: exit 0 with the reading, exit 2 with one line for a malformed capture', async () => {
  const run = promisify(execFile);
  const ok = await run(process.execPath, [BIN, 'decode', '--gatt', '2a37', '00 48']);
  const bad = await run(process.execPath, [BIN, 'decode', '--gatt', '2a37', '00 48 zz']).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  const failed = await run(process.execPath, [
    BIN,
    'decode',
    '--serial',
    'nonin-format2',
    '01 00 00 00 00',
  ]).catch((e: { code: number; stdout: string; stderr: string }) => e);

  assert.match(ok.stdout, /72 \/min/);
  assert.is((bad as { code: number }).code, 2);
  assert.is(bad.stdout, '');
  assert.is(bad.stderr, 'decode: MALFORMED at byte 2: "zz" is not a hex byte\n');
  assert.is((failed as { code: number }).code, 2);
  assert.match(failed.stderr, /^decode: [A-Z_]+ at byte \d+: [^\n]+\n$/);
});

test.run();
