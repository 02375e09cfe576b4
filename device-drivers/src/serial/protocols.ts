import type { SerialDriverName } from '../types.js';
import { contecLive5 } from './contec-live5.js';
import { contecV46 } from './contec-v46.js';
import { noninFormat2 } from './nonin-format2.js';
import type { SerialProtocol } from './serial-protocol.js';

/** Every serial protocol by driver name. */
export const SERIAL_PROTOCOLS: Readonly<Record<SerialDriverName, SerialProtocol>> = {
  'contec-cms50d': contecLive5 as SerialProtocol,
  'contec-cms50d-v46': contecV46 as SerialProtocol,
  'nonin-format2': noninFormat2 as SerialProtocol,
};
