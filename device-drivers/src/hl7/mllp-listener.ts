import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { DriverError } from '../errors.js';
import type { DeviceSource, DeviceSourceEvents, DeviceSpec, DeviceState } from '../types.js';
import { handleHl7Message } from './decode-hl7.js';
import { encodeMllp, MllpFramer } from './mllp-framer.js';

/**
 * An HL7 v2 MLLP listener for bedside monitors: accepts connections, frames messages
 * (0x0B … 0x1C 0x0D), turns ORU^R01 into readings and answers each message with an ACK
 * carrying its MSH-10. Listens on 127.0.0.1 unless `mllp.host` says otherwise.
 *
 * @example
 * ```ts
 * const listener = new MllpListener({ id: 'icu', driver: 'hl7-mllp', mllp: { port: 2575 } });
 * listener.on('reading', (r) => queue.add(r));
 * await listener.start();
 * ```
 */
export class MllpListener extends EventEmitter<DeviceSourceEvents> implements DeviceSource {
  readonly spec: DeviceSpec;
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
    socket.on('data', (chunk: Buffer) => {
      const { messages, errors } = framer.push(chunk);
      errors.forEach((e) => this.#emitError(e));
      for (const text of messages) {
        const outcome = handleHl7Message(text);
        socket.write(encodeMllp(outcome.ack));
        if (outcome.error) {
          this.#emitError(outcome.error);
        }
        outcome.readings.forEach((r) => this.emit('reading', r));
        const skippedDemo = outcome.skipped?.demo ?? 0;
        this.emit('messageAcknowledged', {
          code: outcome.code,
          controlId: outcome.controlId,
          skippedDemo,
        });
      }
    });
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
