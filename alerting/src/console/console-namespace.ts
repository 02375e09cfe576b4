import { SpanKind } from '@opentelemetry/api';
import pino from 'pino';
import type { Namespace, Server, Socket } from 'socket.io';

import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertError } from '../alerts/errors.js';
import type { Alert, AlertActor, AlertEvent } from '../alerts/types.js';
import { coversUnit, type DisplayNameOf, type Principal } from '../api/principal.js';
import {
  alertingTracer,
  contextFromTraceparent,
  type BatchOrigin,
} from '../ingest/trace-context.js';
import { alertingLogger } from '../log/safe-error.js';

/** Options of {@link attachConsole}. */
export interface ConsoleOptions<P extends Principal = Principal> {
  engine: AlertEngine;
  /** Verifies the handshake's `auth.token`; rejects when it is not valid. */
  authenticate: (token: string) => Promise<P>;
  /**
   * Names the console's user, once per connection, on the alerts they acknowledge; without
   * it (or when it resolves `undefined`) an acknowledgement carries the user id only.
   */
  displayNameOf?: DisplayNameOf<P>;
  /**
   * Other hubs' engines write events to the same database (several hubs behind the Redis
   * adapter): a replay then runs up to the database's last cursor, not only this engine's.
   * A console may get an event twice around its reconnection; the cursor tells them apart.
   */
  sharedDatabase?: boolean;
  /** Events sent per replay query. Default 500. */
  replayBatch?: number;
  logger?: pino.Logger;
}

/** The attached `/console` namespace. */
export interface ConsoleNamespace {
  readonly namespace: Namespace;
  /** Stops broadcasting and disconnects every console. */
  close(): void;
}

/** The reply to every console command. */
export type CommandReply =
  | { ok: true; alert?: Alert; silenceId?: string }
  | { ok: false; error: { code: string; message: string } };

const CONSOLE_ROLES: readonly string[] = ['nurse', 'clinician', 'system'];
const ALL_UNITS = 'unit:*';

function roomOf(unit: string): string {
  return `unit:${unit}`;
}

// What the handshake left on the socket: who connected, and as whom they act.
interface ConsoleUser {
  principal: Principal;
  actor: AlertActor;
}

function userOf(socket: Socket): ConsoleUser {
  return socket.data as ConsoleUser;
}

function refusal(code: 'UNAUTHENTICATED' | 'FORBIDDEN'): Error {
  return Object.assign(new Error(code), { data: { code } });
}

function fail(error: unknown): CommandReply {
  const code =
    typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'ERROR';
  const message = error instanceof Error ? error.message : 'command failed';

  return {
    ok: false,
    error: { code: error instanceof TypeError ? 'INVALID_ARGUMENT' : code, message },
  };
}

/**
 * Attaches the nurse console namespace `/console` to a socket.io server. A console
 * authenticates in the handshake (`auth: { token, cursor? }`), joins one room per care unit
 * it covers, gets every event after `cursor` from the database in order, then live `alert`
 * events. Commands (`acknowledge`, `resolve`, `escalate`, `silence`, `markNonActionable`)
 * answer through the socket.io acknowledgement; with `displayNameOf`, an acknowledgement
 * names who made it. See `console/README.md` for the contract.
 *
 * @example
 * ```ts
 * const consoleNs = await attachConsole(io, { engine, authenticate: verifyJwt });
 * ```
 */
export async function attachConsole<P extends Principal>(
  io: Server,
  options: ConsoleOptions<P>,
): Promise<ConsoleNamespace> {
  const { engine } = options;
  const log = alertingLogger(options.logger ?? pino({ enabled: false }), 'alerting:console');
  const batch = options.replayBatch ?? 500;
  const nsp = io.of('/console');
  // The cursor of the last event broadcast. The engine emits events in cursor order, so
  // everything up to it is in the database and everything after it will be broadcast.
  let broadcast = await engine.store.lastCursor();

  const onEvent = (event: AlertEvent, origin?: BatchOrigin) => {
    broadcast = event.cursor;
    // The last hop of agent → broker → ingest → rules → console, a child of the rule span.
    const span = alertingTracer().startSpan(
      'console.push',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'sparkden.alert.kind': event.kind, 'sparkden.alert.cursor': event.cursor },
      },
      contextFromTraceparent(origin?.traceparent),
    );
    nsp.to([roomOf(event.unit), ALL_UNITS]).emit('alert', event);
    span.end();
  };
  engine.on('alertEvent', onEvent);

  async function admit(token: string): Promise<ConsoleUser> {
    let principal: P;
    try {
      principal = await options.authenticate(token);
    } catch {
      throw refusal('UNAUTHENTICATED');
    }
    if (!CONSOLE_ROLES.includes(principal.role)) {
      throw refusal('FORBIDDEN');
    }

    const name = await options.displayNameOf?.(principal);

    return { principal, actor: { id: principal.sub, name } };
  }

  nsp.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown };
    if (typeof auth.token !== 'string' || auth.token.length === 0) {
      next(refusal('UNAUTHENTICATED'));

      return;
    }
    admit(auth.token).then(
      (user) => {
        Object.assign(socket.data as ConsoleUser, user);
        next();
      },
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  });

  async function replay(socket: Socket, from: number): Promise<void> {
    const { principal } = userOf(socket);
    let last = from;
    if (options.sharedDatabase === true) {
      broadcast = Math.max(broadcast, await engine.store.lastCursor());
    }
    for (;;) {
      // Checked and joined with no await in between: no broadcast can slip through.
      if (last >= broadcast) {
        const rooms = principal.units.includes('*') ? [ALL_UNITS] : principal.units.map(roomOf);
        await socket.join(rooms);
        socket.emit('ready', { cursor: last });

        return;
      }
      const upTo = broadcast;
      const events = await engine.store.eventsAfter(last, principal.units, batch);
      const due = events.filter((e) => e.cursor <= upTo);
      for (const e of due) {
        socket.emit('alert', e);
      }
      last = due.length === batch ? (due.at(-1)?.cursor ?? upTo) : upTo;
    }
  }

  nsp.on('connection', (socket) => {
    const { principal } = userOf(socket);
    const cursorIn = Number((socket.handshake.auth as { cursor?: unknown }).cursor);
    const fresh = !Number.isInteger(cursorIn) || cursorIn < 0;
    const start = fresh ? broadcast : cursorIn;
    if (fresh) {
      // A console with no cursor starts from the open alerts, grouped per patient.
      socket.emit('snapshot', { cursor: start, patients: engine.openByPatient(principal.units) });
    }
    registerCommands(socket, engine);
    replay(socket, start).catch((error: unknown) => {
      log.error({ err: error, sub: principal.sub }, 'console replay failed');
      socket.disconnect(true);
    });
  });

  return {
    namespace: nsp,
    close() {
      engine.off('alertEvent', onEvent);
      nsp.disconnectSockets(true);
    },
  };
}

type Ack = (reply: CommandReply) => void;

async function authorizeAlert(
  engine: AlertEngine,
  principal: Principal,
  alertId: unknown,
): Promise<Alert> {
  if (typeof alertId !== 'string') {
    throw new TypeError('"alertId" must be a string');
  }
  const alert = await engine.get(alertId);
  if (alert === undefined || !coversUnit(principal, alert.unit)) {
    // The same answer for "absent" and "not yours": no probing of other units.
    throw new AlertError('NOT_FOUND', `no alert ${alertId}`);
  }

  return alert;
}

function registerCommands(socket: Socket, engine: AlertEngine): void {
  const { principal, actor } = userOf(socket);
  const handle = (name: string, fn: (p: Record<string, unknown>) => Promise<CommandReply>) => {
    socket.on(name, (payload: unknown, ack?: Ack) => {
      const p =
        typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
      fn(p).then(
        (reply) => ack?.(reply),
        (error: unknown) => ack?.(fail(error)),
      );
    });
  };
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 500) : undefined);

  handle('acknowledge', async (p) => {
    const a = await authorizeAlert(engine, principal, p.alertId);

    return { ok: true, alert: await engine.acknowledge(a.id, actor, text(p.note)) };
  });
  handle('resolve', async (p) => {
    const a = await authorizeAlert(engine, principal, p.alertId);

    return { ok: true, alert: await engine.resolve(a.id, principal.sub, text(p.note)) };
  });
  handle('escalate', async (p) => {
    const a = await authorizeAlert(engine, principal, p.alertId);

    return { ok: true, alert: await engine.escalate(a.id, principal.sub) };
  });
  handle('markNonActionable', async (p) => {
    const a = await authorizeAlert(engine, principal, p.alertId);

    return { ok: true, alert: await engine.markNonActionable(a.id, principal.sub, text(p.reason)) };
  });
  handle('silence', async (p) => {
    const unit = typeof p.unit === 'string' ? p.unit : undefined;
    const patientId = typeof p.patientId === 'string' ? p.patientId : undefined;
    const scope = unit ?? (patientId === undefined ? undefined : engine.unitOf(patientId));
    if (scope === undefined || !coversUnit(principal, scope)) {
      throw new AlertError('FORBIDDEN', 'the silence must lie within a unit you cover');
    }
    if (typeof p.endsAt !== 'string') {
      throw new TypeError('"endsAt" must be an ISO 8601 time');
    }
    const silence = await engine.silence(
      {
        unit,
        patientId,
        ruleId: typeof p.ruleId === 'string' ? p.ruleId : undefined,
        code: typeof p.code === 'string' ? p.code : undefined,
        endsAt: p.endsAt,
        reason: text(p.reason),
      },
      principal.sub,
    );

    return { ok: true, silenceId: silence.id };
  });
}
