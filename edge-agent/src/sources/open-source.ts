import type { EventEmitter } from 'node:events';

import type {
  DeviceAlarm,
  DeviceSpec,
  DeviceState,
  DriverName,
  DriverReading,
} from '@sparkden/device-drivers';
import type { DeviceRef } from '@sparkden/protocol';

import type { DeviceConfig } from '../config/schema.js';
import { AgentError } from '../errors.js';
import { NdjsonFileSource, type SourceMeta } from './ndjson-file-source.js';

/** The events every source of the agent emits. */
export interface AgentSourceEvents {
  reading: [DriverReading, SourceMeta?];
  skipped: [SourceMeta];
  state: [DeviceState];
  error: [Error];
  alarm: [DeviceAlarm];
  /** Values a device marked as not the patient's (demo, test, control solution), dropped. */
  readingsWithheld: [{ reason: string; count: number }];
}

/** A running device connection, from `@sparkden/device-drivers` or the agent's own file driver. */
export interface AgentSource extends EventEmitter<AgentSourceEvents> {
  readonly state: DeviceState;
  start(): Promise<void>;
  stop(): Promise<void>;
  setPaused?(paused: boolean): void;
}

const TRANSPORT: Record<string, DeviceRef['transport']> = {
  'contec-cms50d': 'serial',
  'contec-cms50d-v46': 'serial',
  'nonin-format2': 'serial',
  'ble-gatt': 'ble',
  'hl7-mllp': 'hl7',
  'mqtt-json': 'mqtt',
  'ndjson-file': 'manual',
};

/** The device reference each reading of a configured device carries. */
export function deviceRefOf(device: DeviceConfig): DeviceRef {
  return {
    id: device.id,
    model: device.model ?? device.driver,
    serial: device.serialNumber,
    transport: TRANSPORT[device.driver] ?? 'manual',
  };
}

/** The driver spec of a configured device. */
export function toDeviceSpec(device: DeviceConfig): DeviceSpec {
  return {
    id: device.id,
    driver: device.driver as DriverName,
    path: device.path,
    baudRate: device.baudRate,
    minIntervalMs: device.minIntervalMs,
    reconnect: device.reconnect,
    ble: device.ble,
    mllp: device.mllp,
    mqtt: device.mqtt,
  };
}

/**
 * Opens the source of a configured device; `cursor` is the committed position of sources
 * that can resume (the file driver). The device drivers load on first use, so an agent that
 * only reads files starts light.
 *
 * @throws {AgentError} `UNKNOWN_DRIVER`; {@link TypeError} when the device misses an option.
 */
export async function openSource(
  device: DeviceConfig,
  cursor: string | undefined,
): Promise<AgentSource> {
  if (device.driver === 'ndjson-file') {
    if (device.file === undefined) {
      throw new TypeError(`device "${device.id}": "file" is required for driver ndjson-file`);
    }

    return new NdjsonFileSource({
      path: device.file.path,
      ratePerSecond: device.file.ratePerSecond,
      follow: device.file.follow,
      startLine: Number(cursor ?? 0),
    });
  }

  const drivers = await import('@sparkden/device-drivers');
  if (!(drivers.DRIVERS as readonly string[]).includes(device.driver)) {
    const known = [...drivers.DRIVERS, 'ndjson-file'].join(', ');
    throw new AgentError(
      'UNKNOWN_DRIVER',
      `device "${device.id}": no driver "${device.driver}" (${known})`,
    );
  }

  return drivers.openDevice(toDeviceSpec(device)) as unknown as AgentSource;
}
