/**
 * Commands and packet encoding of newer Contec firmware (CMS50D+ 4.6).
 * [Contec communication protocol of pulse oximeter V7.0] A PC-to-device packet is the type
 * 0x7d, a high-bit byte, then the command and six zero bytes: 9 bytes, like the live data.
 */

/** Builds a 9-byte control command: type 0x7d, then the command byte and six zero bytes. */
function command(code: number): Uint8Array {
  return encodeContecV46Packet(0x7d, [code, 0, 0, 0, 0, 0, 0]);
}

/** Start the real-time stream. */
export const CONTEC_V46_START = command(0xa1);
/** Stop the real-time stream. */
export const CONTEC_V46_STOP = command(0xa2);
/** Heartbeat: without it every few seconds the device stops streaming. */
export const CONTEC_V46_KEEP_ALIVE = command(0xaf);

/** Encodes a packet: type byte, high-bit byte, data bytes with bit 7 set. */
export function encodeContecV46Packet(type: number, data: readonly number[]): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out[0] = type & 0x7f;
  out[1] = 0x80;
  data.forEach((d, i) => {
    out[1] |= d & 0x80 ? 1 << i : 0;
    out[i + 2] = d | 0x80;
  });

  return out;
}
