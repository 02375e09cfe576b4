import { EventEmitter } from 'node:events';

import { computeBackoff } from '../backoff.js';
import { DriverError } from '../errors.js';
import { parseGatt } from '../gatt/decode-gatt.js';
import type { GattContext, GattDecoded } from '../gatt/gatt-result.js';
import type { MedicalNumber } from '../gatt/ieee11073.js';
import { weightContext } from '../gatt/weight-feature.js';
import type {
  CuffPressure,
  DeviceSource,
  DeviceSourceEvents,
  DeviceSpec,
  DeviceState,
} from '../types.js';
import type { BleCentral, GattLink } from './gatt-link.js';
import { GlucoseContextJoin } from './glucose-context-join.js';
import { NobleCentral } from './noble-central.js';
import { encodeRacpReport, parseRacpIndication } from './racp.js';

/** Measurement characteristics subscribed to when the peripheral has them. */
const MEASUREMENTS = ['2a37', '2a35', '2a36', '2a1c', '2a5e', '2a5f', '2a18', '2a34', '2a9d'];
const RACP = '2a52';
const INTERMEDIATE_CUFF_PRESSURE = '2a36';
const WEIGHT_FEATURE = '2a9e';

/** The live pressure of a decoded 0x2A36: a `cuffPressure` event, never a reading. */
function cuffPressureOf(decoded: GattDecoded): CuffPressure {
  const n = decoded.fields.cuffPressure as MedicalNumber;
  const unit = decoded.fields.unit === 'kPa' ? 'kPa' : 'mm[Hg]';

  return n.ok ? { value: n.value, unit } : { unit };
}

/**
 * A Bluetooth LE health device: connects, reads the Weight Scale Feature, subscribes to every
 * health measurement it has, asks a glucose meter for its stored records through the Record
 * Access Control Point (only those newer than the last it sent), and reconnects with
 * backoff. Without an adapter it reports one `NO_ADAPTER` error, goes to `error` and stops.
 *
 * Only a patient's values become `reading` events. Intermediate Cuff Pressure (0x2A36) is a
 * `cuffPressure` event (progress while the cuff inflates, never a blood pressure). Values the
 * device marks as demonstration or test data (PLX measurement status) and glucose
 * control-solution checks are dropped, as HL7 demo data is, with one `readingsWithheld`
 * event naming the reason and the count, never the values.
 *
 * @example
 * ```ts
 * const source = new BleSource({ id: 'bp-1', driver: 'ble-gatt', ble: { address: 'aa:bb:cc:dd:ee:ff' } });
 * ```
 */
export class BleSource extends EventEmitter<DeviceSourceEvents> implements DeviceSource {
  readonly spec: DeviceSpec;
  #central: BleCentral;
  #link: GattLink | undefined;
  #state: DeviceState = 'disconnected';
  #running = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastSequence: number | undefined;
  #glucose = new GlucoseContextJoin({ emit: (r) => this.emit('reading', r) });

  constructor(spec: DeviceSpec, central: BleCentral = new NobleCentral()) {
    super();
    if (!spec.ble?.address && !spec.ble?.name) {
      throw new TypeError('"ble.address" or "ble.name" is required');
    }
    this.spec = spec;
    this.#central = central;
  }

  get state(): DeviceState {
    return this.#state;
  }

  async start(): Promise<void> {
    if (this.#running) {
      return;
    }
    this.#running = true;

    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#glucose.flush();
    const link = this.#link;
    this.#link = undefined;
    await link?.disconnect().catch(() => undefined);
    await this.#central.close();

    this.#setState('disconnected');
  }

  async #connect(): Promise<void> {
    this.#setState('connecting');
    try {
      const link = await this.#central.connect(this.spec);
      if (!this.#running) {
        await link.disconnect();
        return;
      }
      this.#link = link;
      link.onDisconnect(() => this.#lost(link));
      await this.#setUp(link);
      this.#attempt = 0;
      this.#setState('connected');
    } catch (e) {
      const error =
        e instanceof DriverError
          ? e
          : new DriverError('TRANSPORT', 'BLE connection failed', { cause: e });
      this.#emitError(error);
      this.#setState('error');
      if (error.code !== 'NO_ADAPTER') {
        this.#retry();
      }
    }
  }

  async #setUp(link: GattLink): Promise<void> {
    const has = new Set(link.characteristics);
    const context: GattContext = has.has(WEIGHT_FEATURE)
      ? weightContext(await link.read(WEIGHT_FEATURE))
      : {};
    for (const uuid of MEASUREMENTS.filter((u) => has.has(u))) {
      await link.subscribe(uuid, (bytes) => this.#onValue(uuid, bytes, context));
    }
    if (this.spec.ble?.fetchStored && has.has(RACP)) {
      await link.subscribe(RACP, (bytes) => this.#onRacp(bytes));
      const from = this.#lastSequence === undefined ? undefined : (this.#lastSequence + 1) & 0xffff;
      await link.write(RACP, encodeRacpReport(from));
    }
  }

  #onValue(uuid: string, bytes: Uint8Array, context: GattContext): void {
    try {
      const decoded = parseGatt(uuid, bytes, context);
      if (uuid === '2a18' && typeof decoded.fields.sequenceNumber === 'number') {
        this.#lastSequence = decoded.fields.sequenceNumber;
      }
      if (decoded.withheld) {
        this.emit('readingsWithheld', { ...decoded.withheld, characteristic: uuid });
      }
      if (uuid === INTERMEDIATE_CUFF_PRESSURE) {
        this.emit('cuffPressure', cuffPressureOf(decoded));
      } else if (uuid === '2a18') {
        this.#glucose.measurement(decoded);
      } else if (uuid === '2a34' && !this.#glucose.context(decoded)) {
        this.#emitError(new DriverError('SYNC', 'glucose context without its measurement'));
      }
      if (uuid !== '2a18') {
        decoded.readings.forEach((r) => this.emit('reading', r));
      }
    } catch (e) {
      this.#emitError(e as DriverError);
    }
  }

  #onRacp(bytes: Uint8Array): void {
    try {
      const indication = parseRacpIndication(bytes);
      // The transfer is over: a last record's context will not come any more.
      this.#glucose.flush();
      if (indication.type === 'response' && indication.code !== 1 && indication.code !== 6) {
        this.#emitError(new DriverError('TRANSPORT', `RACP: ${indication.meaning}`));
      }
    } catch (e) {
      this.#emitError(e as DriverError);
    }
  }

  #lost(link: GattLink): void {
    if (this.#link !== link) {
      return;
    }
    this.#link = undefined;
    this.#glucose.flush();
    this.#setState('disconnected');
    this.#retry();
  }

  #retry(): void {
    if (!this.#running) {
      return;
    }
    const delay = computeBackoff(this.#attempt++, this.spec.reconnect);
    this.#timer = setTimeout(() => void this.#connect(), delay);
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
