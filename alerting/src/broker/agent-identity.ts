import { TLSSocket } from 'node:tls';

import { normalizeSerial } from '../pki/index.js';

/** Who is at the other end of a broker connection, as its transport proves it. */
export type PeerIdentity =
  /** Mutual TLS: the agent id from the client certificate's CN, with its serial. */
  | { kind: 'certificate'; agentId: string; serial: string }
  /** The loopback development listener: no proof beyond the MQTT client id. */
  | { kind: 'loopback' }
  /** A TLS peer without a usable certificate (never reaches MQTT with rejectUnauthorized). */
  | { kind: 'none' };

/** Reads the identity a connection's transport carries. */
export function identifyPeer(conn: unknown): PeerIdentity {
  if (!(conn instanceof TLSSocket)) {
    return { kind: 'loopback' };
  }
  const cert = conn.getPeerCertificate();
  const cn = cert.subject?.CN;
  if (!conn.authorized || typeof cn !== 'string' || cert.serialNumber === undefined) {
    return { kind: 'none' };
  }

  return { kind: 'certificate', agentId: cn, serial: normalizeSerial(cert.serialNumber) };
}
