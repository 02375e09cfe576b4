import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import {
  decodeHl7,
  decodeSerial,
  DriverError,
  normalizeGattUuid,
  parseGatt,
  type DriverReading,
} from '@sparkden/device-drivers';
import {
  createObservation,
  ObservationError,
  type DeviceRef,
  type Observation,
} from '@sparkden/protocol';

import { parseHex } from './hex.js';

/**
 * The patient reference of a decoded capture. Captured bytes belong to no enrolled patient:
 * the decoder never guesses one, and this placeholder says so wherever the model is printed.
 */
export const UNBOUND_PATIENT = 'Patient/unbound';

/** Where {@link runDecode} writes; the CLI passes the process streams, tests collect lines. */
export interface DecodeIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** [sysexits.h] 64 usage, 66 input file missing; 2 malformed input, as `grep` and `jq` use it. */
export const DECODE_EXIT = { ok: 0, malformed: 2, usage: 64, noInput: 66 } as const;

export const DECODE_USAGE = `decode --gatt <uuid> <hex> | --serial <driver> <hex> | --hl7 <file> [--json]
  --gatt    a Bluetooth SIG characteristic value (2a37, 0x2A35, or the 128-bit form)
  --serial  a captured serial stream (contec-cms50d, contec-cms50d-v46, nonin-format2)
  --hl7     an ORU^R01 file, with or without MLLP framing
  --json    one @sparkden/protocol observation per line, patient "${UNBOUND_PATIENT}";
            HL7 lines add "subject": the PID-3 the message carried (human output hides it)
Malformed input exits 2 with: decode: <CODE> at byte <offset>: <reason>
`;

interface Decoded {
  readings: DriverReading[];
  device: DeviceRef;
  /** What a GATT parser decoded besides readings (context characteristics have only this). */
  fields?: { characteristic: string; values: Record<string, unknown> };
}

/** Maps an error's offset to a byte offset of the input (HL7 counts characters). */
interface OffsetMap {
  byteOffset?: (offset: number) => number;
}

interface DecodeMode {
  gatt?: string;
  serial?: string;
  hl7?: string;
  json?: boolean;
}

function decodeInput(mode: DecodeMode, hex: string, offsets: OffsetMap): Decoded {
  if (mode.gatt !== undefined) {
    const uuid = normalizeGattUuid(mode.gatt);
    const decoded = parseGatt(uuid, parseHex(hex));
    const device: DeviceRef = { id: 'decode', model: `ble-gatt 0x${uuid}`, transport: 'ble' };
    const fields = { characteristic: decoded.characteristic, values: decoded.fields };

    return { readings: decoded.readings, device, fields };
  }
  if (mode.serial !== undefined) {
    const readings = decodeSerial(mode.serial, parseHex(hex));

    return { readings, device: { id: 'decode', model: mode.serial, transport: 'serial' } };
  }

  const bytes = readFileSync(mode.hl7 ?? '');
  const text = bytes.toString('utf8');
  // decodeHl7 drops a leading MLLP start block; its offsets count from after it.
  const lead = text.startsWith('\u000b') ? 1 : 0;
  offsets.byteOffset = (offset) => Buffer.byteLength(text.slice(0, lead + offset));
  const readings = decodeHl7(text);

  return { readings, device: { id: 'decode', model: 'hl7-mllp', transport: 'hl7' } };
}

/** The model of one reading, built as the agent builds it, under the placeholder patient. */
function toObservation(reading: DriverReading, device: DeviceRef): Observation {
  const { subject: _subject, ...rest } = reading;

  return createObservation({ ...rest, patient: UNBOUND_PATIENT, device });
}

function formatMeasured(m: { value?: number; unit?: string; dataAbsentReason?: string }): string {
  return m.value === undefined
    ? `no value (${m.dataAbsentReason ?? 'unknown'})`
    : `${m.value} ${m.unit}`;
}

/** One human line: code, LOINC, value or components, status, quality, device time. */
function formatObservation(o: Observation): string {
  const measured =
    o.components === undefined
      ? formatMeasured(o)
      : o.components.map((c) => `${c.code} ${formatMeasured(c)}`).join('; ');
  const parts = [o.code.padEnd(12), `LOINC ${o.loinc}`.padEnd(16), measured, o.status];
  if (o.quality.length > 0) {
    parts.push(`quality: ${o.quality.join(', ')}`);
  }
  if (o.interpretation !== undefined) {
    parts.push(`interpretation: ${o.interpretation.join(' ')}`);
  }
  if (o.deviceTime !== undefined) {
    parts.push(`device time ${o.deviceTime}`);
  }

  return parts.join('  ');
}

/** `decode: <CODE> at byte <offset>: <reason>`, one line; errors before any byte say byte 0. */
function formatFailure(error: unknown, offsets: OffsetMap): string | undefined {
  if (error instanceof ObservationError) {
    return `decode: ${error.code} at byte 0: ${error.issues.join('; ')}`;
  }
  if (!(error instanceof DriverError)) {
    return undefined;
  }
  const at = error.offset;
  const offset = at === undefined ? 0 : (offsets.byteOffset?.(at) ?? at);

  return `decode: ${error.code} at byte ${offset}: ${error.reason}`;
}

function parseMode(argv: string[]): { mode: DecodeMode; hex: string } | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        gatt: { type: 'string' },
        serial: { type: 'string' },
        hl7: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    return (error as Error).message;
  }
  const { values, positionals } = parsed;
  const modes = [values.gatt, values.serial, values.hl7].filter((m) => m !== undefined);
  if (modes.length !== 1) {
    return 'decode needs exactly one of --gatt, --serial, --hl7';
  }
  if (values.hl7 !== undefined && positionals.length > 0) {
    return 'decode --hl7 takes a file, not hex';
  }
  if (values.hl7 === undefined && positionals.length === 0) {
    return `decode ${values.gatt === undefined ? '--serial <driver>' : '--gatt <uuid>'} needs <hex>`;
  }

  return { mode: values, hex: positionals.join(' ') };
}

/**
 * `sparkden-agent decode`: turns captured device bytes into observations for debugging a
 * device on site. Prints one line per observation (or, with `--json`, the protocol model);
 * never a value the bytes do not hold. HL7 PID-3 is a patient identifier: human output only
 * says whether it was present; `--json` carries it as `subject` (the user's own capture).
 *
 * @returns The exit code: 0, 2 for malformed input (one line on stderr), 64 usage, 66 no file.
 * @example
 * ```ts
 * const code = runDecode(['--gatt', '2a37', '00 48'], { stdout, stderr });
 * ```
 */
export function runDecode(argv: string[], io: DecodeIo): number {
  const parsed = parseMode(argv);
  if (typeof parsed === 'string') {
    io.stderr(`sparkden-agent: ${parsed}\n${DECODE_USAGE}`);

    return DECODE_EXIT.usage;
  }

  const { mode, hex } = parsed;
  const offsets: OffsetMap = {};
  let decoded: Decoded;
  let observations: Observation[];
  try {
    decoded = decodeInput(mode, hex, offsets);
    observations = decoded.readings.map((r) => toObservation(r, decoded.device));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`sparkden-agent: decode: cannot read ${mode.hl7 ?? ''}\n`);

      return DECODE_EXIT.noInput;
    }
    const line = formatFailure(error, offsets);
    if (line === undefined) {
      throw error;
    }
    io.stderr(`${line}\n`);

    return DECODE_EXIT.malformed;
  }

  printDecoded(io, mode.json === true, decoded, observations);

  return DECODE_EXIT.ok;
}

function printDecoded(io: DecodeIo, json: boolean, decoded: Decoded, obs: Observation[]): void {
  const subjects = decoded.readings.map((r) => r.subject);
  if (json) {
    obs.forEach((o, i) => {
      const subject = subjects[i];
      io.stdout(`${JSON.stringify(subject === undefined ? o : { ...o, subject })}\n`);
    });
    if (obs.length === 0) {
      io.stderr(`no readings${decoded.fields ? ` (${decoded.fields.characteristic})` : ''}\n`);
    }

    return;
  }

  if (decoded.fields !== undefined) {
    io.stdout(`${decoded.fields.characteristic}\n`);
    if (obs.length === 0) {
      io.stdout(`  no reading of its own; fields: ${JSON.stringify(decoded.fields.values)}\n`);
    }
  }
  obs.forEach((o) => io.stdout(`${formatObservation(o)}\n`));
  if (decoded.fields === undefined && obs.length === 0) {
    io.stdout('no readings\n');
  }
  if (subjects.some((s) => s !== undefined)) {
    io.stdout('PID-3 present (a patient identifier: not shown; --json includes it)\n');
  }
}
