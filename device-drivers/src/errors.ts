/**
 * The fixed codes a {@link DriverError} carries. Callers branch on these, never on text.
 *
 * - `TRUNCATED`: the bytes end before a field the flags announce.
 * - `SYNC`: bytes that cannot start a frame (garbage, a lost sync bit).
 * - `CHECKSUM`: a frame whose checksum does not match its bytes.
 * - `BAD_VALUE`: a field outside the range its specification allows.
 * - `BAD_LENGTH`: a frame or segment of the wrong size.
 * - `UNSUPPORTED`: an unknown characteristic, driver, packet type or message type.
 * - `MALFORMED`: text that breaks its grammar (HL7 segments, JSON).
 * - `NO_ADAPTER`: no Bluetooth adapter on this machine, or the BLE library is missing.
 * - `TRANSPORT`: the port, socket or broker failed or closed.
 * - `TIMEOUT`: the device did not answer in time.
 */
export const DRIVER_ERROR_CODES = [
  'TRUNCATED',
  'SYNC',
  'CHECKSUM',
  'BAD_VALUE',
  'BAD_LENGTH',
  'UNSUPPORTED',
  'MALFORMED',
  'NO_ADAPTER',
  'TRANSPORT',
  'TIMEOUT',
] as const;

/** One of {@link DRIVER_ERROR_CODES}. */
export type DriverErrorCode = (typeof DRIVER_ERROR_CODES)[number];

/** Options of a {@link DriverError}. */
export interface DriverErrorOptions extends ErrorOptions {
  /** Byte offset (or character offset for text) where the problem was found. */
  offset?: number;
}

/**
 * A device protocol or transport failure. `offset` points at the first bad byte.
 *
 * @example
 * ```ts
 * try { decodeGatt('2a37', bytes); } catch (e) {
 *   if (e instanceof DriverError) console.error(`${e.code} at byte ${e.offset}`);
 * }
 * ```
 */
export class DriverError extends Error {
  readonly code: DriverErrorCode;
  readonly offset?: number;
  /** The message without its code and offset. */
  readonly reason: string;

  constructor(code: DriverErrorCode, message: string, options: DriverErrorOptions = {}) {
    const where = options.offset === undefined ? '' : ` (at byte ${options.offset})`;
    super(`${code}: ${message}${where}`, options);
    this.name = 'DriverError';
    this.code = code;
    this.reason = message;
    if (options.offset !== undefined) {
      this.offset = options.offset;
    }
  }
}

/** Thrown when a closed source or listener is used again. */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}
