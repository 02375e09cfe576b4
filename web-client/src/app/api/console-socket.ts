import { io, type Socket } from 'socket.io-client';

import type { Alert, AlertEvent } from '../model/alerts.js';
import { session } from './session.js';

/** What the console shows about its link to the hub. */
export type ConnectionState = 'connecting' | 'live' | 'replaying' | 'reconnecting' | 'offline';

/** The lifecycle commands a nurse can send; each is acknowledged by the hub. */
export type AlertCommand = 'acknowledge' | 'resolve' | 'escalate' | 'silence' | 'markNonActionable';

/** Options of {@link ConsoleConnection}. */
export interface ConsoleConnectionOptions {
  /** Called with the open alerts when a console connects without a cursor. */
  onSnapshot: (alerts: Alert[]) => void;
  /** Called for each alert event, live or replayed, in cursor order. */
  onAlert: (alert: Alert, event: AlertEvent) => void;
  onState: (state: ConnectionState, detail?: string) => void;
  /** The hub origin; defaults to the page's. */
  url?: string;
}

/** The hub's acknowledgement of a command. */
interface CommandAck {
  ok?: boolean;
  alert?: Alert;
  silenceId?: string;
  error?: { code?: string; message?: string };
}

/** The console's first message when it connects without a cursor. */
interface Snapshot {
  cursor: number;
  patients: Array<{ patientId: string; unit: string; alerts: Alert[] }>;
}

/** A command the hub refused, with its `code` (`FORBIDDEN`, `URGENT_NOT_SILENCEABLE`, …). */
export class CommandError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/** What a nurse reads when the hub refuses a command: the message, or plain words for a code. */
export function refusalText(error: unknown): string {
  if (error instanceof CommandError && error.code === 'URGENT_NOT_SILENCEABLE') {
    return 'Not silenced: an urgent alert is never silenced. It sounds until someone acknowledges it.';
  }

  return error instanceof Error ? error.message : String(error);
}

const COMMAND_TIMEOUT_MS = 10_000;

/**
 * The nurse console's live link: the socket.io `/console` namespace (contract in
 * alerting/src/console/README.md). The first connect carries no cursor and gets a snapshot
 * of the open alerts; every reconnect sends the last cursor seen, so the hub replays what
 * was missed while the link was down (`ready` marks the end of the replay), then streams
 * live `alert` events. The cursor lives in memory only: a reloaded page starts from a
 * fresh snapshot, since it no longer holds the alerts an old cursor would build on.
 *
 * @example
 * ```ts
 * const link = new ConsoleConnection({ onSnapshot: showAll, onAlert: show, onState: setState });
 * await link.command('acknowledge', { alertId });
 * link.close();
 * ```
 */
export class ConsoleConnection {
  #socket: Socket;
  #cursor: number | undefined;
  #options: ConsoleConnectionOptions;

  constructor(options: ConsoleConnectionOptions) {
    this.#options = options;
    const base = options.url ?? globalThis.location.origin;
    this.#socket = io(`${base}/console`, {
      // The auth callback runs on every attempt, so a reconnect carries a fresh token and
      // the latest cursor.
      auth: (cb) => cb({ token: session.accessToken(), cursor: this.#cursor }),
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.#wire();
    options.onState('connecting');
  }

  /** The last cursor seen; the hub replays everything after it. */
  get cursor(): number | undefined {
    return this.#cursor;
  }

  #wire(): void {
    const socket = this.#socket;
    const { onState } = this.#options;
    socket.on('connect', () => onState(this.#cursor === undefined ? 'connecting' : 'replaying'));
    socket.on('snapshot', (payload: Snapshot) => this.#onSnapshot(payload));
    socket.on('ready', (payload: { cursor?: number }) => {
      this.#advance(payload.cursor);
      onState('live');
    });
    socket.on('disconnect', (reason) => {
      onState(reason === 'io client disconnect' ? 'offline' : 'reconnecting', reason);
    });
    socket.on('connect_error', (error) => {
      void this.#onConnectError(error);
    });
    socket.on('alert', (event: AlertEvent) => this.#onAlert(event));
  }

  async #onConnectError(error: Error): Promise<void> {
    const text = `${error.message}`;
    this.#options.onState('reconnecting', text);
    if (text === 'FORBIDDEN') {
      this.#options.onState('offline', 'This role has no alert console');
      this.#socket.disconnect();
      return;
    }
    if (/unauth|token|expired|401/i.test(text)) {
      const ok = await session.refresh();
      if (!ok) {
        this.#options.onState('offline', 'Signed out');
        this.#socket.disconnect();
      }
    }
  }

  #advance(cursor: unknown): void {
    if (typeof cursor === 'number' && (this.#cursor === undefined || cursor > this.#cursor)) {
      this.#cursor = cursor;
    }
  }

  #onSnapshot(payload: Snapshot): void {
    this.#advance(payload.cursor);
    this.#options.onSnapshot(payload.patients.flatMap((p) => p.alerts));
  }

  #onAlert(event: AlertEvent): void {
    this.#advance(event.cursor);
    this.#options.onAlert(event.alert, event);
  }

  /**
   * Sends a lifecycle command and waits for the hub's acknowledgement.
   *
   * @throws {CommandError} when the hub refuses, or `TIMEOUT` when it does not answer.
   */
  command(name: AlertCommand, payload: Record<string, unknown>): Promise<Alert | undefined> {
    return new Promise((resolve, reject) => {
      this.#socket
        .timeout(COMMAND_TIMEOUT_MS)
        .emit(name, payload, (error: Error | null, ack?: CommandAck) => {
          if (error) {
            reject(new CommandError('TIMEOUT', 'The hub did not confirm in time. Try again.'));
            return;
          }
          if (!ack || ack.ok !== true) {
            const e = ack?.error;
            reject(new CommandError(e?.code ?? 'REFUSED', e?.message ?? 'The hub refused.'));
            return;
          }
          resolve(ack.alert);
        });
    });
  }

  /** Drops the link to the hub for a moment and reconnects (testing and "retry now"). */
  reconnect(): void {
    this.#socket.disconnect();
    this.#socket.connect();
  }

  /** Closes the link for good. */
  close(): void {
    this.#socket.removeAllListeners();
    this.#socket.disconnect();
  }
}
