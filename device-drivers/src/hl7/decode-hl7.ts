import { DriverError } from '../errors.js';
import type { DriverReading } from '../types.js';
import { buildAck, type AckCode } from './hl7-ack.js';
import { component, field, parseHl7, type Hl7Message } from './hl7-message.js';
import { readOruR01, type OruResult } from './oru-r01.js';

/** HL7 versions this listener accepts (MSH-12). */
const VERSIONS = /^2\.[3-9](\.\d+)?$/;

/** The outcome of handling one inbound message: readings, and the ACK to send back. */
export interface Hl7Outcome {
  ack: string;
  code: AckCode;
  controlId: string;
  readings: DriverReading[];
  /** PID-3 of an accepted ORU^R01, when it carried one. PHI: never log it. */
  subject?: string;
  skipped?: OruResult['skipped'];
  error?: DriverError;
  /** The parsed message (at least its MSH when the body was broken), to build another ACK. */
  message?: Hl7Message;
}

/** Drops an MLLP start block (VT) and end block (FS, CR) around a captured message. */
function stripMllp(text: string): string {
  const start = text.startsWith('\u000b') ? 1 : 0;
  const fs = text.lastIndexOf('\u001c');
  const end = fs >= start && text.slice(fs + 1).trim() === '' ? fs : text.length;

  return text.slice(start, end);
}

/**
 * Decodes an ORU^R01 into readings: what `sparkden-agent decode --hl7` runs.
 *
 * @throws {DriverError} `MALFORMED`, `UNSUPPORTED` (not ORU^R01) or `BAD_VALUE` with the
 * character offset.
 * @example
 * ```ts
 * decodeHl7(readFileSync('oru.hl7', 'utf8'));
 * ```
 */
export function decodeHl7(text: string): DriverReading[] {
  const msg = parseHl7(stripMllp(text));
  checkOru(msg);

  return readOruR01(msg).readings;
}

function checkOru(msg: Hl7Message): void {
  const msh = msg.segments[0];
  const type = component(msg, field(msh, 9), 1);
  const trigger = component(msg, field(msh, 9), 2);
  if (field(msh, 10) === '') {
    throw new DriverError('MALFORMED', 'MSH-10 message control id is empty', {
      offset: msh.offset,
    });
  }
  if (!VERSIONS.test(component(msg, field(msh, 12), 1))) {
    throw new DriverError('UNSUPPORTED', `HL7 version "${field(msh, 12)}" not supported`, {
      offset: msh.offset,
    });
  }
  if (type !== 'ORU' || trigger !== 'R01') {
    throw new DriverError('UNSUPPORTED', `message type ${type}^${trigger}, expected ORU^R01`, {
      offset: msh.offset,
    });
  }
}

/**
 * Handles one inbound message the way the MLLP listener does: AA with its readings; AR
 * when the message cannot be taken at all (unparseable, wrong type or version); AE when an
 * ORU^R01 carries a bad value. Every ACK carries the message's MSH-10.
 */
export function handleHl7Message(text: string, now = new Date()): Hl7Outcome {
  let msg: Hl7Message | undefined;
  try {
    msg = parseHl7(stripMllp(text));
    checkOru(msg);
    const result = readOruR01(msg);
    const controlId = field(msg.segments[0], 10);

    return {
      ack: buildAck(msg, 'AA', undefined, now),
      code: 'AA',
      controlId,
      readings: result.readings,
      ...(result.subject === undefined ? {} : { subject: result.subject }),
      skipped: result.skipped,
      message: msg,
    };
  } catch (e) {
    if (!(e instanceof DriverError)) {
      throw e;
    }
    msg ??= headerOnly(stripMllp(text));
    const code: AckCode = e.code === 'BAD_VALUE' ? 'AE' : 'AR';
    const hl7Error =
      e.code === 'BAD_VALUE'
        ? '102'
        : e.code === 'UNSUPPORTED'
          ? e.reason.startsWith('HL7 version')
            ? '203'
            : '200'
          : '100';
    const ack = buildAck(msg, code, { hl7Error, text: e.reason }, now);

    const controlId = field(msg?.segments[0], 10);

    return { ack, code, controlId, readings: [], error: e, ...(msg ? { message: msg } : {}) };
  }
}

/** The MSH alone, to answer a message whose body is broken with its own control id. */
function headerOnly(text: string): Hl7Message | undefined {
  try {
    return parseHl7(text.split(/\r|\n/)[0] ?? '');
  } catch {
    return undefined;
  }
}
