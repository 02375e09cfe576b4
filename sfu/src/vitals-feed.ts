import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Server } from 'socket.io';
import { VisitError } from './errors.js';
import { verifyVisitToken, type VisitTokenClaims, type VisitTokenVerifyKey } from './tokens.js';

/**
 * The live-vitals panel contract. The clinician's visit page connects to this socket.io
 * namespace with its visit token (handshake `auth: { token }`, role `host`, `patientRef` set)
 * and receives, for the visit's patient only:
 *
 * - `vitals:snapshot` {@link VitalsSnapshot}: latest value per code, trends, open alerts (first)
 * - `vitals:reading`  {@link VitalsReading}: a new reading
 * - `vitals:alert`    {@link VitalsAlert}: an alert raised or changed
 * - `vitals:alertCleared` `{ id }`: an alert resolved
 */
export const VITALS_NAMESPACE = '/visit-vitals';

/** One reading as the panel shows it (the observation model, flattened for display). */
export interface VitalsReading {
  /** LOINC code, e.g. `8867-4` heart rate, `59408-5` SpO2, `85354-9` blood pressure panel. */
  code: string;
  label: string;
  /** Single value; null for panels that carry components. */
  value: number | null;
  components?: { code: string; label: string; value: number }[];
  /** UCUM unit, e.g. `/min`, `%`, `mm[Hg]`. */
  unit: string;
  effectiveAt: string;
  /** Direction over the last hour, when the source computes one. */
  trend?: 'rising' | 'falling' | 'steady';
  /** Device quality flags (`finger-out`, `cuff-loose`, `questionable`). */
  quality?: string[];
}

/** An alert on the patient as the panel lists it. */
export interface VitalsAlert {
  id: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  status: 'open' | 'acknowledged';
  raisedAt: string;
}

export interface VitalsSnapshot {
  patientRef: string;
  readings: VitalsReading[];
  alerts: VitalsAlert[];
  at: string;
}

/** Where the feed pushes updates for one subscriber. */
export interface VitalsSink {
  snapshot(snapshot: VitalsSnapshot): void;
  reading(reading: VitalsReading): void;
  alert(alert: VitalsAlert): void;
  alertCleared(id: string): void;
}

/** Who opened the feed, from the verified visit token: what the PHI read is audited as. */
export interface VitalsReader {
  /** Opaque user id of the clinician host. */
  userId: string;
  role: VisitTokenClaims['role'];
  /** The visit (Appointment) the read is for: the purpose of the read. */
  appointmentId: string;
  /** `jti` of the token the feed was opened with. */
  tokenId: string;
}

/**
 * What the hub plugs in (the alerting service): subscribe one panel to one patient; returns
 * the unsubscribe function. A source that audits reads does so with `reader`, and refuses the
 * read (rejects) when the audit record cannot be written.
 */
export interface VitalsSource {
  subscribe(
    patientRef: string,
    sink: VitalsSink,
    reader: VitalsReader,
  ): (() => void) | Promise<() => void>;
}

export interface VitalsFeedOptions {
  tokenKey: VisitTokenVerifyKey;
  source: VitalsSource;
  logger?: Logger;
}

/**
 * Serves {@link VITALS_NAMESPACE} on `io`: checks the host visit token and relays the source's
 * updates for the token's patient to that socket only.
 *
 * @example
 * attachVitalsFeed(io, { tokenKey: secret, source: alertingVitalsSource });
 */
export function attachVitalsFeed(io: Server, options: VitalsFeedOptions): void {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'sfu:vitals' });
  const nsp = io.of(VITALS_NAMESPACE);

  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    verifyVisitToken(typeof token === 'string' ? token : '', options.tokenKey)
      .then((claims) => {
        if (claims.role !== 'host' || !claims.patientRef) {
          throw new VisitError('FORBIDDEN', 'live vitals are for the clinician host');
        }
        const reader: VitalsReader = {
          userId: claims.userId,
          role: claims.role,
          appointmentId: claims.appointmentId,
          tokenId: claims.tokenId,
        };
        socket.data = { patientRef: claims.patientRef, reader };
        next();
      })
      .catch((error: unknown) => {
        if (!(error instanceof VisitError)) {
          log.debug({ err: error }, 'vitals handshake refused');
        }
        const code = error instanceof VisitError ? error.code : 'TOKEN_INVALID';
        const err = new Error('vitals feed refused') as Error & { data: unknown };
        err.data = { code };
        next(err);
      });
  });

  nsp.on('connection', (socket) => {
    const { patientRef, reader } = socket.data as { patientRef: string; reader: VitalsReader };
    const sink: VitalsSink = {
      snapshot: (s) => socket.emit('vitals:snapshot', s),
      reading: (r) => socket.emit('vitals:reading', r),
      alert: (a) => socket.emit('vitals:alert', a),
      alertCleared: (id) => socket.emit('vitals:alertCleared', { id }),
    };
    let unsubscribe: (() => void) | undefined;
    let gone = false;
    Promise.resolve(options.source.subscribe(patientRef, sink, reader)).then(
      (off) => {
        if (gone) {
          off();
        } else {
          unsubscribe = off;
        }
      },
      (err: unknown) => {
        log.warn({ err }, 'vitals subscription failed');
        socket.disconnect(true);
      },
    );
    socket.on('disconnect', () => {
      gone = true;
      unsubscribe?.();
    });
  });
}
