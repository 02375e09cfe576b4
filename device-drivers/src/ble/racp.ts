import { DriverError } from '../errors.js';

/** [Bluetooth GLS: Record Access Control Point (0x2A52)] op codes. */
export const RACP_OP = {
  reportStoredRecords: 0x01,
  deleteStoredRecords: 0x02,
  abort: 0x03,
  reportNumberOfRecords: 0x04,
  numberOfRecordsResponse: 0x05,
  responseCode: 0x06,
} as const;

/** [GLS RACP] operators. */
export const RACP_OPERATOR = {
  null: 0x00,
  all: 0x01,
  lessOrEqual: 0x02,
  greaterOrEqual: 0x03,
} as const;
/** [GLS RACP] filter type 0x01: sequence number. */
const FILTER_SEQUENCE = 0x01;

/** [GLS RACP] response code values. */
export const RACP_RESPONSES: Readonly<Record<number, string>> = {
  1: 'success',
  2: 'op code not supported',
  3: 'invalid operator',
  4: 'operator not supported',
  5: 'invalid operand',
  6: 'no records found',
  7: 'abort unsuccessful',
  8: 'procedure not completed',
  9: 'operand not supported',
};

/** "Report stored records": all of them, or those with sequence number ≥ `fromSequence`. */
export function encodeRacpReport(fromSequence?: number): Uint8Array {
  if (fromSequence === undefined) {
    return Uint8Array.of(RACP_OP.reportStoredRecords, RACP_OPERATOR.all);
  }
  if (!(Number.isInteger(fromSequence) && fromSequence >= 0 && fromSequence <= 0xffff)) {
    throw new TypeError('"fromSequence" must be a u16');
  }

  return Uint8Array.of(
    RACP_OP.reportStoredRecords,
    RACP_OPERATOR.greaterOrEqual,
    FILTER_SEQUENCE,
    fromSequence & 0xff,
    fromSequence >> 8,
  );
}

/** A decoded RACP indication. */
export type RacpIndication =
  | { type: 'response'; requestOpCode: number; code: number; meaning: string }
  | { type: 'count'; count: number };

/**
 * Decodes a RACP indication: a response code (0x06, operator 0, request op code, code) or a
 * number of records (0x05, operator 0, u16).
 *
 * @throws {DriverError} `BAD_LENGTH` or `UNSUPPORTED` with the offset.
 */
export function parseRacpIndication(bytes: Uint8Array): RacpIndication {
  const op = bytes[0];
  if (op === RACP_OP.responseCode && bytes.length >= 4) {
    const code = bytes[3];

    return {
      type: 'response',
      requestOpCode: bytes[2],
      code,
      meaning: RACP_RESPONSES[code] ?? 'reserved',
    };
  }
  if (op === RACP_OP.numberOfRecordsResponse && bytes.length >= 4) {
    return { type: 'count', count: bytes[2] | (bytes[3] << 8) };
  }
  if (op === RACP_OP.responseCode || op === RACP_OP.numberOfRecordsResponse) {
    throw new DriverError('BAD_LENGTH', 'RACP indication too short', { offset: bytes.length });
  }

  throw new DriverError('UNSUPPORTED', `RACP op code ${op ?? 'missing'}`, { offset: 0 });
}
