import { EventEmitter } from 'node:events';

import type { SerialPortStream } from '@serialport/stream';

import { computeBackoff } from '../backoff.js';
import { DriverError } from '../errors.js';
import { ReadingThrottle } from '../reading-throttle.js';
import type { DeviceSource, DeviceSourceEvents, DeviceSpec, DeviceState } from '../types.js';
import { SerialFrameReader } from './frame-reader.js';
import { createPortStream } from './port-stream.js';
import type { SerialProtocol } from './serial-protocol.js';

/**
 * A serial device through serialport's port stream: opens the port with the protocol's line
 * settings, sends its start command and keep-alives, turns bytes into readings and reopens
 * the port with backoff when it goes away. Errors are emitted only when someone listens.
 *
 * @example
 * ```ts
 * const source = new SerialSource({ id: 'ox-1', driver: 'contec-cms50d', path }, contecLive5);
 * source.on('reading', (r) => queue.add(r));
 * await source.start();
 * ```
 */
export class SerialSource extends EventEmitter<DeviceSourceEvents> implements DeviceSource {
  readonly spec: DeviceSpec;
  readonly protocol: SerialProtocol;
  #state: DeviceState = 'disconnected';
  #port: SerialPortStream | undefined;
  #reader: SerialFrameReader;
  #throttle: ReadingThrottle;
  #attempt = 0;
  #running = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #keepAliveTimer: NodeJS.Timeout | undefined;

  constructor(spec: DeviceSpec, protocol: SerialProtocol) {
    super();
    if (!spec.path) {
      throw new TypeError(`"path" is required for driver "${spec.driver}"`);
    }
    this.spec = spec;
    this.protocol = protocol;
    this.#reader = new SerialFrameReader(protocol);
    this.#throttle = new ReadingThrottle(spec.minIntervalMs ?? 1000);
  }

  get state(): DeviceState {
    return this.#state;
  }

  /** Opens the port; resolves once the first attempt has been made (connected or retrying). */
  async start(): Promise<void> {
    if (this.#running) {
      return;
    }
    this.#running = true;

    await this.#open();
  }

  /** Closes the port and stops reconnecting. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#keepAliveTimer);
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }

    this.#setState('disconnected');
  }

  async #open(): Promise<void> {
    const { settings } = this.protocol;
    const port = createPortStream({
      path: this.spec.path!,
      baudRate: this.spec.baudRate ?? settings.baudRate,
      dataBits: settings.dataBits,
      parity: settings.parity,
      stopBits: settings.stopBits,
      autoOpen: false,
    });
    this.#setState('connecting');
    this.#reader.reset();
    this.#throttle.reset();

    try {
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    } catch (cause) {
      this.#fail(new DriverError('TRANSPORT', 'cannot open the serial port', { cause }));
      return;
    }
    if (!this.#running) {
      port.close();
      return;
    }
    this.#port = port;
    this.#attempt = 0;
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('close', () => this.#onClose(port));
    port.on('error', (cause) =>
      this.#emitError(new DriverError('TRANSPORT', 'port error', { cause })),
    );
    this.#sendStart(port);
    this.#setState('connected');
  }

  #sendStart(port: SerialPortStream): void {
    const { startCommand, keepAlive } = this.protocol;
    if (startCommand) {
      port.write(Buffer.from(startCommand));
    }
    if (keepAlive) {
      clearInterval(this.#keepAliveTimer);
      this.#keepAliveTimer = setInterval(
        () => port.write(Buffer.from(keepAlive.bytes)),
        keepAlive.everyMs,
      );
    }
  }

  #onData(chunk: Buffer): void {
    const out = this.#reader.push(chunk);
    const now = Date.now();
    out.errors.forEach((e) => this.#emitError(e));
    out.alarms.forEach((a) => this.emit('alarm', a));
    for (const reading of out.readings) {
      if (this.#throttle.admit(reading, now)) {
        this.emit('reading', reading);
      }
    }
  }

  #onClose(port: SerialPortStream): void {
    clearInterval(this.#keepAliveTimer);
    if (this.#port !== port) {
      return;
    }
    this.#port = undefined;
    this.#fail(new DriverError('TRANSPORT', 'serial port closed'));
  }

  #fail(error: DriverError): void {
    if (!this.#running) {
      return;
    }
    this.#emitError(error);
    this.#setState('error');
    const delay = computeBackoff(this.#attempt++, this.spec.reconnect);
    this.#retryTimer = setTimeout(() => void this.#open(), delay);
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
