import type { DeviceSpec } from '../types.js';

/**
 * One connected BLE peripheral, as the BLE source needs it. The noble central and the
 * simulated peripherals both provide it. UUIDs are 16-bit, lower-case hex (`2a37`).
 */
export interface GattLink {
  /** The characteristics the peripheral exposes. */
  readonly characteristics: readonly string[];
  read(uuid: string): Promise<Uint8Array>;
  /** Subscribes to notifications or indications, whichever the characteristic has. */
  subscribe(uuid: string, onValue: (bytes: Uint8Array) => void): Promise<void>;
  write(uuid: string, bytes: Uint8Array): Promise<void>;
  disconnect(): Promise<void>;
  /** Called once when the link drops, whoever dropped it. */
  onDisconnect(listener: () => void): void;
}

/** Finds and connects to a peripheral. */
export interface BleCentral {
  connect(spec: DeviceSpec): Promise<GattLink>;
  /** Releases the adapter (stops scanning). */
  close(): Promise<void>;
}
