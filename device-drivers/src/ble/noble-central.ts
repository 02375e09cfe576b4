import type { EventEmitter } from 'node:events';

import { DriverError } from '../errors.js';
import type { DeviceSpec } from '../types.js';
import type { BleCentral, GattLink } from './gatt-link.js';

/** The small part of `@abandonware/noble` this file uses (typed here: the package is optional). */
export interface NobleCharacteristic extends EventEmitter {
  uuid: string;
  properties: string[];
  readAsync(): Promise<Buffer>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
}
/** A peripheral as noble reports it on `discover`. */
export interface NoblePeripheral extends EventEmitter {
  address: string;
  advertisement: { localName?: string };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(
    serviceUuids: string[],
    characteristicUuids: string[],
  ): Promise<{ characteristics: NobleCharacteristic[] }>;
}
/** The noble central: adapter state (`stateChange`), scanning and `discover` events. */
export interface Noble extends EventEmitter {
  state?: string;
  _state?: string;
  startScanningAsync(uuids?: string[], duplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** Options of {@link NobleCentral}. */
export interface NobleCentralOptions {
  /** How long a connect scans for its peripheral, in milliseconds (default 30 000). */
  scanTimeoutMs?: number;
  /** How long to wait for the adapter to power on, in milliseconds (default 5000). */
  stateTimeoutMs?: number;
  /**
   * Loads the noble module (`{ default: noble }`); default `import('@abandonware/noble')`.
   * A failure to load is `NO_ADAPTER`.
   */
  loadModule?: () => Promise<unknown>;
}

/** Health services: HR, BP, thermometer, PLX, glucose, weight scale. [Bluetooth assigned numbers] */
const SERVICES = ['180d', '1810', '1809', '1822', '1808', '181d'];
const MODULE = '@abandonware/noble';

async function loadNoble(load: () => Promise<unknown>): Promise<Noble> {
  let noble: Noble | undefined;
  try {
    noble = ((await load()) as { default?: Noble }).default;
  } catch (cause) {
    throw new DriverError('NO_ADAPTER', 'the Bluetooth LE library could not be loaded', {
      cause,
    });
  }
  if (noble === undefined || typeof noble.startScanningAsync !== 'function') {
    throw new DriverError('NO_ADAPTER', 'the Bluetooth LE library has no noble central');
  }

  return noble;
}

// `_state` first: noble's `state` getter starts its HCI bindings, and may throw doing so.
const stateOf = (noble: Noble) => noble._state ?? noble.state ?? 'unknown';

/** Waits for the adapter to settle; anything but `poweredOn` is `NO_ADAPTER`. */
async function awaitPoweredOn(noble: Noble, timeoutMs: number): Promise<void> {
  if (stateOf(noble) === 'poweredOn') {
    return;
  }

  let onState: (s: string) => void = () => undefined;
  const state = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(stateOf(noble)), timeoutMs);
    onState = (s) => {
      if (s !== 'unknown' && s !== 'resetting') {
        clearTimeout(timer);
        resolve(s);
      }
    };
    noble.on('stateChange', onState);
  });
  noble.removeListener('stateChange', onState);
  if (state !== 'poweredOn') {
    throw new DriverError('NO_ADAPTER', `Bluetooth adapter is ${state}`);
  }
}

function short(uuid: string): string {
  return uuid.length === 32 ? uuid.slice(4, 8) : uuid.toLowerCase();
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new TypeError(`"${name}" must be > 0`);
  }

  return value ?? fallback;
}

/**
 * The real BLE central through `@abandonware/noble`, loaded only when first used: on a
 * machine without an adapter (or without the library) `connect` rejects with one
 * `NO_ADAPTER` error and nothing else is affected.
 *
 * @example
 * ```ts
 * const source = new BleSource(spec, new NobleCentral({ scanTimeoutMs: 10_000 }));
 * ```
 */
export class NobleCentral implements BleCentral {
  #noble: Noble | undefined;
  #cancels = new Set<() => void>();
  #load: () => Promise<unknown>;
  readonly scanTimeoutMs: number;
  readonly stateTimeoutMs: number;

  constructor(options: NobleCentralOptions = {}) {
    this.scanTimeoutMs = positive('scanTimeoutMs', options.scanTimeoutMs, 30_000);
    this.stateTimeoutMs = positive('stateTimeoutMs', options.stateTimeoutMs, 5000);
    this.#load = options.loadModule ?? (() => import(MODULE));
  }

  async connect(spec: DeviceSpec): Promise<GattLink> {
    const { address, name } = spec.ble ?? {};
    if (!address && !name) {
      throw new TypeError('"ble.address" or "ble.name" is required');
    }

    const noble = (this.#noble ??= await loadNoble(this.#load));
    await awaitPoweredOn(noble, this.stateTimeoutMs);
    const peripheral = await this.#find(noble, (p) =>
      address
        ? p.address.toLowerCase() === address.toLowerCase()
        : p.advertisement.localName === name,
    );
    await peripheral.connectAsync();
    // Every characteristic of the health services only: not the whole GATT table.
    const found = await peripheral.discoverSomeServicesAndCharacteristicsAsync(SERVICES, []);

    return toLink(peripheral, found.characteristics);
  }

  async #find(noble: Noble, match: (p: NoblePeripheral) => boolean): Promise<NoblePeripheral> {
    let onDiscover: (p: NoblePeripheral) => void = () => undefined;
    const found = new Promise<NoblePeripheral>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DriverError('TIMEOUT', 'peripheral not found while scanning')),
        this.scanTimeoutMs,
      );
      const cancel = () => {
        clearTimeout(timer);
        reject(new DriverError('TRANSPORT', 'scan cancelled: central closed'));
      };
      this.#cancels.add(cancel);
      onDiscover = (p) => {
        if (match(p)) {
          clearTimeout(timer);
          this.#cancels.delete(cancel);
          resolve(p);
        }
      };
      noble.on('discover', onDiscover);
    });
    // Handled below; this only stops a cancel during start-up counting as unhandled.
    found.catch(() => undefined);
    await noble.startScanningAsync(SERVICES, false);
    try {
      return await found;
    } finally {
      noble.removeListener('discover', onDiscover);
      await noble.stopScanningAsync();
    }
  }

  /** Stops scanning and fails any connect still scanning, so nothing keeps the process up. */
  async close(): Promise<void> {
    this.#cancels.forEach((cancel) => cancel());
    this.#cancels.clear();
    await this.#noble?.stopScanningAsync().catch(() => undefined);
  }
}

/** A {@link GattLink} over a connected noble peripheral and its characteristics. */
function toLink(peripheral: NoblePeripheral, characteristics: NobleCharacteristic[]): GattLink {
  const byUuid = new Map(characteristics.map((c) => [short(c.uuid), c]));
  const get = (uuid: string) => {
    const c = byUuid.get(uuid);
    if (!c) {
      throw new DriverError('UNSUPPORTED', `peripheral has no characteristic 0x${uuid}`);
    }
    return c;
  };

  return {
    characteristics: [...byUuid.keys()],
    read: async (uuid) => new Uint8Array(await get(uuid).readAsync()),
    // [GLS RACP] a write with response: the meter confirms the request before it indicates.
    write: (uuid, bytes) => get(uuid).writeAsync(Buffer.from(bytes), false),
    subscribe: async (uuid, onValue) => {
      const c = get(uuid);
      c.on('data', (data: Buffer) => onValue(new Uint8Array(data)));
      await c.subscribeAsync();
    },
    disconnect: () => peripheral.disconnectAsync(),
    onDisconnect: (listener) => void peripheral.once('disconnect', listener),
  };
}
