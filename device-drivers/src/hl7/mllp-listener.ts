import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { DriverError } from '../errors.js';
import type {
  DeviceSource,
  DeviceSourceEvents,
  DeviceSpec,
  DeviceState,
  DriverReading,
} from '../types.js';
import { handleHl7Message, type Hl7Outcome } from './decode-hl7.js';
import { buildAck, type AckCode } from './hl7-ack.js';
import { encodeMllp, MllpFramer } from './mllp-framer.js';

/** One accepted ORU^R01, handed to the consumer before the monitor gets its ACK. */
export interface Hl7Delivery {
  /** MSH-10 of the message. */
  controlId: string;
  /** PID-3 (first identifier) when the message carried one. PHI: never log it. */
  subject?: string;
  readings: DriverReading[];
}

/**
 * What the consumer answers for a message: nothing once its readings are durably stored
 * (the ACK is AA), or a refusal whose reason goes into MSA-3 and ERR-8. `hl7Error` is an
 * HL7 table 0357 code (default 207, application internal error).
 */
export type Hl7Verdict = undefined | { code: 'AE' | 'AR'; reason: string; hl7Error?: string };

/** Takes the readings of one message; the ACK waits for it. A throw or rejection answers AE. */
export type Hl7Acceptor = (delivery: Hl7Delivery) => Hl7Verdict | Promise<Hl7Verdict>;

/** The `code` of a failure when it has a string one (`DriverError`, Node errors), else fixed. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;

  return typeof code === 'string' && code !== '' ? code : 'ACCEPTOR_FAILED';
}

/**
 * An HL7 v2 MLLP listener for bedside monitors: accepts connections, frames messages
 * (0x0B … 0x1C 0x0D), turns ORU^R01 into readings and answers each message with an ACK
 * carrying its MSH-10. Listens on 127.0.0.1 unless `mllp.host` says otherwise.
 *
 * Without an acceptor, readings are emitted as `reading` events and AA only means the
 * message was understood. With {@link MllpListener.setAcceptor}, each message's readings go
 * to the acceptor instead, and the ACK is sent when it settles: AA once it resolves, its own
 * AE/AR when it refuses, AE when it fails. Messages of one connection are answered in order.
 * Each answer is a `messageAcknowledged` event; one that is not AA carries `errorCode` (the
 * parse error's code, or the acceptor's failure). Demo and test data are never readings: a
 * message that held some also emits `readingsWithheld` with their count.
 *
 * @example
 * ```ts
 * const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 2575 } });
 * listener.setAcceptor(async ({ readings }) => { await queue.commit(readings); });
 * await listener.start();
 * ```
 */
export class MllpListener extends EventEmitter<DeviceSourceEvents> implements DeviceSource {
  readonly spec: DeviceSpec;
  #acceptor: Hl7Acceptor | undefined;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #state: DeviceState = 'disconnected';

  constructor(spec: DeviceSpec) {
    super();
    if (!spec.mllp || !(spec.mllp.port >= 0 && spec.mllp.port < 65536)) {
      throw new TypeError('"mllp.port" must be a port number (0 picks a free one)');
    }
    this.spec = spec;
  }

  get state(): DeviceState {
    return this.#state;
  }

  /**
   * Routes each message's readings to `acceptor` and holds its ACK until the acceptor
   * settles (see the class comment); `undefined` goes back to `reading` events.
   */
  setAcceptor(acceptor: Hl7Acceptor | undefined): void {
    if (acceptor !== undefined && typeof acceptor !== 'function') {
      throw new TypeError('"acceptor" must be a function');
    }

    this.#acceptor = acceptor;
  }

  /** The bound address (useful with port 0). */
  address(): AddressInfo {
    const address = this.#server?.address();
    if (!address || typeof address === 'string') {
      throw new DriverError('TRANSPORT', 'listener is not listening');
    }

    return address;
  }

  async start(): Promise<void> {
    if (this.#server) {
      return;
    }
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    this.#setState('connecting');

    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(new DriverError('TRANSPORT', 'cannot listen', { cause })),
      );
      server.listen(this.spec.mllp!.port, this.spec.mllp!.host ?? '127.0.0.1', () => resolve());
    }).catch((e: unknown) => {
      this.#server = undefined;
      this.#setState('error');
      throw e;
    });
    server.on('error', (cause) =>
      this.#emitError(new DriverError('TRANSPORT', 'listener error', { cause })),
    );
    this.#setState('connected');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#sockets.forEach((s) => s.destroy());
    this.#sockets.clear();
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }

    this.#setState('disconnected');
  }

  #accept(socket: Socket): void {
    const framer = new MllpFramer();
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (cause) =>
      this.#emitError(new DriverError('TRANSPORT', 'connection error', { cause })),
    );
    // One chain per connection: a monitor's messages are answered in the order it sent them.
    let answered = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      const { messages, errors } = framer.push(chunk);
      errors.forEach((e) => this.#emitError(e));
      for (const text of messages) {
        answered = answered
          .then(() => this.#answer(socket, text))
          .catch((cause: unknown) => {
            // Unanswerable: drop the connection so the monitor resends rather than waits.
            this.#emitError(new DriverError('TRANSPORT', 'message not answered', { cause }));
            socket.destroy();
          });
      }
    });
  }

  async #answer(socket: Socket, text: string): Promise<void> {
    if (socket.destroyed) {
      // Stopped or dropped: no ACK can go back, so nothing is taken; the monitor resends.
      return;
    }

    const outcome = handleHl7Message(text);
    if (outcome.error) {
      this.#emitError(outcome.error);
    }
    const refusal = outcome.code === 'AA' ? await this.#deliver(outcome) : undefined;
    const code: AckCode = refusal?.code ?? outcome.code;
    const errorCode = refusal?.errorCode ?? outcome.error?.code;
    const ack =
      refusal === undefined
        ? outcome.ack
        : buildAck(outcome.message, refusal.code, {
            hl7Error: refusal.hl7Error ?? '207',
            text: refusal.reason,
          });

    if (!socket.destroyed) {
      socket.write(encodeMllp(ack));
    }

    const skippedDemo = outcome.skipped?.demo ?? 0;
    if (skippedDemo > 0) {
      this.emit('readingsWithheld', { reason: 'demo-data', count: skippedDemo });
    }
    this.emit('messageAcknowledged', {
      code,
      controlId: outcome.controlId,
      skippedDemo,
      ...(errorCode === undefined ? {} : { errorCode }),
    });
  }

  /**
   * Hands an understood message to the acceptor (or to `reading` listeners). A refusal
   * carries `errorCode` when the acceptor failed, for the `messageAcknowledged` event.
   */
  async #deliver(outcome: Hl7Outcome): Promise<(Hl7Verdict & { errorCode?: string }) | undefined> {
    const acceptor = this.#acceptor;
    if (acceptor === undefined) {
      outcome.readings.forEach((r) => this.emit('reading', r));

      return undefined;
    }

    const delivery: Hl7Delivery = {
      controlId: outcome.controlId,
      ...(outcome.subject === undefined ? {} : { subject: outcome.subject }),
      readings: outcome.readings,
    };
    try {
      return (await acceptor(delivery)) ?? undefined;
    } catch (cause) {
      // The monitor learns it must send again; the event says why, by code (never the text).
      const errorCode = codeOf(cause);

      return { code: 'AE', reason: 'readings could not be stored', hl7Error: '207', errorCode };
    }
  }

  #emitError(error: DriverError): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }

  #setState(state: DeviceState): void {
    if (state !== this.#state) {
      this.#state = state;
      this.emit('state', state);
    }
  }
}
