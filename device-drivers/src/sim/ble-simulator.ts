import { EventEmitter } from 'node:events';

import type { BleCentral, GattLink } from '../ble/gatt-link.js';
import { encodeRacpReport, RACP_OP } from '../ble/racp.js';
import { DriverError } from '../errors.js';
import {
  BLE_SIMULATORS,
  type BleSimulatorName,
  CHARACTERISTICS,
  glucoseRecord,
  valuesAt,
} from './ble-devices.js';
import * as frames from './gatt-frames.js';
import { type ScenarioName, vitalsAt } from './scenarios.js';

export { BLE_SIMULATORS, type BleSimulatorName } from './ble-devices.js';

/** Options of {@link startBleSimulator}. */
export interface BleSimulatorOptions {
  device: BleSimulatorName;
  scenario: ScenarioName;
  /** Milliseconds between measurements (default 1000). */
  intervalMs?: number;
  speed?: number;
  /** Records a glucose meter holds before the first connection (default 3). */
  storedRecords?: number;
}

/**
 * A simulated BLE health device: a byte stream of characteristic values (`value` events, for
 * `sparkden-agent simulate`), and a {@link BleCentral} the BLE source connects through. A
 * glucose meter keeps its records and answers the Record Access Control Point; every record
 * with an odd sequence number flags a context and is followed by its Glucose Measurement
 * Context (0x2A34), live and from storage. `flaky-link` drops the connection now and then.
 */
export class SimulatedBleDevice
  extends EventEmitter<{ value: [{ uuid: string; bytes: Uint8Array }] }>
  implements BleCentral
{
  readonly options: BleSimulatorOptions;
  #timer: NodeJS.Timeout;
  #links = new Set<{ subs: Map<string, (b: Uint8Array) => void>; drop: () => void }>();
  /** Each stored record: its characteristic values in the order the meter sends them. */
  #records: Array<Array<[string, Uint8Array]>> = [];
  #tick = 0;

  constructor(options: BleSimulatorOptions) {
    super();
    const intervalMs = options.intervalMs ?? 1000;
    if (!BLE_SIMULATORS.includes(options.device) || !(intervalMs > 0)) {
      throw new TypeError(`"device" must be one of ${BLE_SIMULATORS.join(', ')}, "intervalMs" > 0`);
    }
    this.options = options;
    for (
      let i = 0;
      i < (options.storedRecords ?? 3) && options.device === 'ble-glucose-meter';
      i++
    ) {
      const at = new Date(Date.now() - (3 - i) * 3_600_000);
      const v = { ...vitalsAt(options.scenario, 0), glucose: 90 + i * 10 };
      this.#records.push(glucoseRecord(v, i + 1, at));
    }
    this.#timer = setInterval(() => this.#step(intervalMs), intervalMs);
  }

  #step(intervalMs: number): void {
    const n = this.#tick++;
    const v = vitalsAt(
      this.options.scenario,
      ((n * intervalMs) / 1000) * (this.options.speed ?? 1),
    );
    for (const [uuid, bytes] of valuesAt(
      this.options.device,
      v,
      n,
      new Date(),
      this.#records.length + 1,
    )) {
      if (uuid === '2a18') {
        this.#records.push([]);
      }
      if (uuid === '2a18' || uuid === '2a34') {
        this.#records.at(-1)?.push([uuid, bytes]);
      }
      this.emit('value', { uuid, bytes });
      this.#links.forEach((l) => l.subs.get(uuid)?.(bytes));
    }
    if (this.options.scenario === 'flaky-link' && n % 5 === 4) {
      this.#links.forEach((l) => l.drop());
    }
  }

  connect(): Promise<GattLink> {
    const subs = new Map<string, (b: Uint8Array) => void>();
    const dropListeners: Array<() => void> = [];
    const link = { subs, drop: () => undefined as void };
    link.drop = () => {
      this.#links.delete(link);
      dropListeners.splice(0).forEach((f) => f());
    };
    this.#links.add(link);
    const characteristics = [...CHARACTERISTICS[this.options.device]];
    const guarded = <T>(uuid: string, act: () => T): Promise<T> => {
      if (!characteristics.includes(uuid) || !this.#links.has(link)) {
        return Promise.reject(
          new DriverError('TRANSPORT', `no characteristic 0x${uuid} or link down`),
        );
      }
      return Promise.resolve(act());
    };
    const feature = (uuid: string) =>
      uuid === '2a9e' ? frames.WEIGHT_FEATURE_FRAME : new Uint8Array(0);

    return Promise.resolve({
      characteristics,
      read: (uuid) => guarded(uuid, () => feature(uuid)),
      subscribe: (uuid, onValue) => guarded(uuid, () => void subs.set(uuid, onValue)),
      write: (uuid, bytes) => guarded(uuid, () => this.#racp(bytes, subs)),
      disconnect: () => Promise.resolve(link.drop()),
      onDisconnect: (listener) => void dropListeners.push(listener),
    });
  }

  /** [GLS RACP] report stored records (all, or ≥ a sequence number), then a response code. */
  #racp(request: Uint8Array, subs: Map<string, (b: Uint8Array) => void>): void {
    const all = Buffer.from(request).equals(Buffer.from(encodeRacpReport()));
    const from = request.length === 5 ? request[3] | (request[4] << 8) : 0;
    if (request[0] !== RACP_OP.reportStoredRecords || (!all && request.length !== 5)) {
      setImmediate(() =>
        subs.get('2a52')?.(Uint8Array.of(RACP_OP.responseCode, 0, request[0] ?? 0, 2)),
      );
      return;
    }
    const sequenceOf = ([[, m]]: Array<[string, Uint8Array]>) => m[1] | (m[2] << 8);
    const records = this.#records.filter((r) => sequenceOf(r) >= from);
    setImmediate(() => {
      records.flat().forEach(([uuid, bytes]) => subs.get(uuid)?.(bytes));
      subs.get('2a52')?.(
        Uint8Array.of(RACP_OP.responseCode, 0, RACP_OP.reportStoredRecords, records.length ? 1 : 6),
      );
    });
  }

  /** Glucose records the meter holds (stored at start plus measured since). */
  get recordCount(): number {
    return this.#records.length;
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }

  /** Stops the device: drops every link and its clock. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#links.forEach((l) => l.drop());
    await Promise.resolve();
  }
}

/**
 * Starts a simulated BLE device.
 *
 * @example
 * ```ts
 * const sim = startBleSimulator({ device: 'ble-blood-pressure', scenario: 'hypertensive' });
 * sim.on('value', ({ uuid, bytes }) => console.log(uuid, Buffer.from(bytes).toString('hex')));
 * const source = new BleSource({ id: 'bp', driver: 'ble-gatt', ble: { name: 'sim' } }, sim);
 * ```
 */
export function startBleSimulator(options: BleSimulatorOptions): SimulatedBleDevice {
  return new SimulatedBleDevice(options);
}
