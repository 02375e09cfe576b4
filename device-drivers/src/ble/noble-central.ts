import type { EventEmitter } from 'node:events';

import { DriverError } from '../errors.js';
import type { DeviceSpec } from '../types.js';
import type { BleCentral, GattLink } from './gatt-link.js';

/** The small part of `@abandonware/noble` this file uses (typed here: the package is optional). */
interface NobleCharacteristic {
  uuid: string;
  properties: string[];
  readAsync(): Promise<Buffer>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
  on(event: 'data', listener: (data: Buffer) => void): void;
}
interface NoblePeripheral extends EventEmitter {
  address: string;
  advertisement: { localName?: string };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverAllServicesAndCharacteristicsAsync(): Promise<{ characteristics: NobleCharacteristic[] }>;
}
interface Noble extends EventEmitter {
  _state: string;
  startScanningAsync(uuids?: string[], duplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** Health services to scan for: HR, BP, thermometer, PLX, glucose, weight scale. */
const SERVICES = ['180d', '1810', '1809', '1822', '1808', '181d'];
const MODULE = '@abandonware/noble';

async function loadNoble(timeoutMs: number): Promise<Noble> {
  let noble: Noble;
  try {
    const mod = (await import(MODULE)) as { default: Noble };
    noble = mod.default;
  } catch (cause) {
    throw new DriverError(
      'NO_ADAPTER',
      'Bluetooth LE is not available on this machine (no adapter or no BLE library)',
      { cause },
    );
  }
  if (noble._state === 'poweredOn') {
    return noble;
  }

  const state = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve(noble._state), timeoutMs);
    noble.on('stateChange', (s: string) => {
      if (s !== 'unknown' && s !== 'resetting') {
        clearTimeout(timer);
        resolve(s);
      }
    });
  });
  if (state !== 'poweredOn') {
    throw new DriverError('NO_ADAPTER', `Bluetooth adapter is ${state}`);
  }

  return noble;
}

function short(uuid: string): string {
  return uuid.length === 32 ? uuid.slice(4, 8) : uuid.toLowerCase();
}

/**
 * The real BLE central through `@abandonware/noble`, loaded only when first used: on a
 * machine without an adapter `connect` rejects with one `NO_ADAPTER` error and nothing else
 * is affected.
 */
export class NobleCentral implements BleCentral {
  #noble: Noble | undefined;
  #cancels = new Set<() => void>();
  readonly scanTimeoutMs: number;

  constructor(scanTimeoutMs = 30_000) {
    this.scanTimeoutMs = scanTimeoutMs;
  }

  async connect(spec: DeviceSpec): Promise<GattLink> {
    const { address, name } = spec.ble ?? {};
    if (!address && !name) {
      throw new TypeError('"ble.address" or "ble.name" is required');
    }
    const noble = (this.#noble ??= await loadNoble(5000));
    const peripheral = await this.#find(noble, (p) =>
      address
        ? p.address.toLowerCase() === address.toLowerCase()
        : p.advertisement.localName === name,
    );
    await peripheral.connectAsync();
    const { characteristics } = await peripheral.discoverAllServicesAndCharacteristicsAsync();
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
      write: (uuid, bytes) => get(uuid).writeAsync(Buffer.from(bytes), false),
      subscribe: async (uuid, onValue) => {
        const c = get(uuid);
        c.on('data', (data) => onValue(new Uint8Array(data)));
        await c.subscribeAsync();
      },
      disconnect: () => peripheral.disconnectAsync(),
      onDisconnect: (listener) => void peripheral.once('disconnect', listener),
    };
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
