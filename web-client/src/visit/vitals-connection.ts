import { io, type Socket } from 'socket.io-client';

import type { VitalsAlert, VitalsReading, VitalsSnapshot } from './vitals-panel.js';

/** socket.io namespace of the feed (VITALS_NAMESPACE in the SFU package). */
export const VITALS_NAMESPACE = '/visit-vitals';

/** What the panel shows about its connection. */
export type VitalsStatus = 'live' | 'reconnecting' | 'unavailable';

/** What the feed delivers; each callback is optional. */
export interface VitalsHandlers {
  status?(status: VitalsStatus): void;
  snapshot?(snapshot: VitalsSnapshot): void;
  reading?(reading: VitalsReading): void;
  alert?(alert: VitalsAlert): void;
  alertCleared?(id: string): void;
}

/** Options of {@link connectVitalsFeed}. */
export interface VitalsConnectionOptions {
  url: string;
  /**
   * The host's visit token, or a function that returns a valid one. Tokens live minutes, so
   * with a function every (re)connection presents a fresh token, and a token the feed refuses
   * (expired) is replaced once before the panel gives up.
   */
  token: string | (() => Promise<string>);
}

/**
 * Connects the clinician's live-vitals panel to the hub's feed and keeps it connected past
 * the life of one visit token.
 *
 * @example
 * const socket = connectVitalsFeed({ url, token: () => tokens.current() }, { snapshot: render });
 */
export function connectVitalsFeed(
  options: VitalsConnectionOptions,
  handlers: VitalsHandlers,
): Socket {
  const token = options.token;
  const tokenOf = typeof token === 'string' ? () => Promise.resolve(token) : token;
  let retriedWithFreshToken = false;

  const socket = io(`${options.url}${VITALS_NAMESPACE}`, {
    transports: ['websocket'],
    // Asked on every connection attempt, so a reconnect never presents a stale token.
    auth: (cb) => {
      tokenOf().then(
        (t) => cb({ token: t }),
        () => cb({ token: '' }),
      );
    },
  });
  socket.on('connect', () => {
    retriedWithFreshToken = false;
    handlers.status?.('live');
  });
  socket.on('disconnect', () => handlers.status?.('reconnecting'));
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    // A refused handshake is not retried by socket.io: try once more with a fresh token.
    const refreshable = typeof token !== 'string' && err.data?.code === 'TOKEN_INVALID';
    if (refreshable && !retriedWithFreshToken) {
      retriedWithFreshToken = true;
      socket.connect();
      return;
    }
    handlers.status?.('unavailable');
  });
  socket.on('vitals:snapshot', (s: VitalsSnapshot) => handlers.snapshot?.(s));
  socket.on('vitals:reading', (r: VitalsReading) => handlers.reading?.(r));
  socket.on('vitals:alert', (a: VitalsAlert) => handlers.alert?.(a));
  socket.on('vitals:alertCleared', (m: { id: string }) => handlers.alertCleared?.(m.id));

  return socket;
}
