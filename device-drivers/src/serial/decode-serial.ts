import { DriverError } from '../errors.js';
import { SERIAL_DRIVERS, type DriverReading, type SerialDriverName } from '../types.js';
import { SERIAL_PROTOCOLS } from './protocols.js';

/**
 * Decodes captured serial bytes of one driver into readings, strictly: any byte that does
 * not belong to a whole, valid frame is an error (a live connection resyncs instead).
 *
 * @throws {DriverError} `SYNC`, `CHECKSUM`, `UNSUPPORTED` or `TRUNCATED` with the byte offset.
 * @example
 * ```ts
 * decodeSerial('contec-cms50d', Uint8Array.from([0x86, 0x40, 0x05, 0x48, 0x61]));
 * ```
 */
export function decodeSerial(driver: string, bytes: Uint8Array): DriverReading[] {
  if (!(SERIAL_DRIVERS as readonly string[]).includes(driver)) {
    throw new DriverError(
      'UNSUPPORTED',
      `no serial driver "${driver}" (${SERIAL_DRIVERS.join(', ')})`,
    );
  }
  if (bytes.length === 0) {
    throw new DriverError('TRUNCATED', 'no bytes', { offset: 0 });
  }

  const protocol = SERIAL_PROTOCOLS[driver as SerialDriverName];
  const interpret = protocol.createInterpreter();
  const readings: DriverReading[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const result = protocol.scan(bytes, offset);
    if (result.type === 'more') {
      throw new DriverError('TRUNCATED', 'bytes end inside a frame', { offset });
    }
    if (result.type === 'skip') {
      throw result.error;
    }
    readings.push(...interpret(result.frame, false).readings);
    offset += result.length;
  }

  return readings;
}
