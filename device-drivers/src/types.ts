import type { EventEmitter } from 'node:events';

import type {
  GlucoseContext as ProtocolGlucoseContext,
  ObservationInput,
} from '@sparkden/protocol';

import type { DriverError } from './errors.js';

/**
 * What a driver knows about one reading; the agent adds patient, device, id and times.
 * `deviceTime` is the device's own clock when the protocol carries one. `subject` is the
 * patient identifier the device itself sent (HL7 PID-3 from a bedside monitor that serves
 * several beds); the agent maps it to a patient, and never logs it.
 */
export type DriverReading = Omit<
  ObservationInput,
  'patient' | 'device' | 'id' | 'receivedAt' | 'effectiveAt' | 'deviceTime' | 'context'
> & { deviceTime?: Date; subject?: string; glucoseContext?: GlucoseContext };

/**
 * What a Glucose Measurement Context (0x2A34) says about the glucose reading it follows,
 * joined by sequence number: the protocol's {@link ProtocolGlucoseContext}, so the agent
 * passes it on as the observation's `context` unchanged.
 */
export type GlucoseContext = ProtocolGlucoseContext;

/** The drivers this package ships, as written in an agent's device config. */
export const DRIVERS = [
  'contec-cms50d',
  'contec-cms50d-v46',
  'nonin-format2',
  'ble-gatt',
  'hl7-mllp',
  'mqtt-json',
] as const;

/** One of {@link DRIVERS}. */
export type DriverName = (typeof DRIVERS)[number];

/** The serial drivers, each a byte-stream protocol. */
export const SERIAL_DRIVERS = ['contec-cms50d', 'contec-cms50d-v46', 'nonin-format2'] as const;

/** One of {@link SERIAL_DRIVERS}. */
export type SerialDriverName = (typeof SERIAL_DRIVERS)[number];

/** The life of a device connection. */
export type DeviceState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** An alarm raised by the device itself (not by the hub's rules). */
export interface DeviceAlarm {
  /** A short stable code: `spo2-dropping`, `low-battery`, `sensor-alarm`, `hl7-alarm`. */
  code: string;
  /** Set while the condition lasts; `false` when the device clears it. */
  active: boolean;
  /** Free text from the device (HL7 alarm text); may be clinical, never log it. */
  text?: string;
}

/** How a transport retries after a lost connection. */
export interface BackoffOptions {
  /** First delay in milliseconds (default 500). */
  minMs?: number;
  /** Longest delay in milliseconds (default 30 000). */
  maxMs?: number;
}

/** One JSON field of an MQTT device mapped to a vital. */
export interface MqttFieldMapping {
  /** Dotted path into the JSON payload (`sensor.spo2`), or `''` for a bare number payload. */
  path: string;
  code: ObservationInput['code'];
  /** The UCUM unit the device sends (default: the code's preferred unit). */
  unit?: string;
  /** Multiply the raw number by this before use (default 1). */
  scale?: number;
  /** Topic (MQTT wildcards allowed) this mapping applies to; default the spec's topic. */
  topic?: string;
}

/** What the agent config says about one device. Per-transport options sit in their blocks. */
export interface DeviceSpec {
  id: string;
  driver: DriverName;
  /** Serial port path (`/dev/ttyUSB0`, or the pty a simulator printed). */
  path?: string;
  /** Serial speed; each serial driver has its own default. */
  baudRate?: number;
  /** Streaming oximeters send ~60 frames/s; emit at most one reading per code this often. */
  minIntervalMs?: number;
  reconnect?: BackoffOptions;
  ble?: {
    /** Peripheral address (`aa:bb:cc:dd:ee:ff`) or, failing that, local name to match. */
    address?: string;
    name?: string;
    /** Fetch stored records with the Record Access Control Point (glucose meters). */
    fetchStored?: boolean;
  };
  mllp?: { host?: string; port: number };
  mqtt?: {
    url: string;
    topic: string;
    mapping: MqttFieldMapping[];
    username?: string;
    password?: string;
  };
}

/**
 * Why values a device sent are not passed on as a patient's readings, though they decoded:
 * the device marked them as demonstration or test data (PLX measurement status bits 10 and
 * 11, HL7 MSH-11 `D`/`T` or OBX-8 `demo-data`/`test-data`), or as a glucose meter's
 * control-solution check (GSS glucose type 10 or sample location 4).
 */
export const WITHHELD_REASONS = ['demo-data', 'test-data', 'control-solution'] as const;

/** One of {@link WITHHELD_REASONS}. */
export type WithheldReason = (typeof WITHHELD_REASONS)[number];

/** Readings dropped for a {@link WithheldReason}: a code and a count, never the values. */
export interface WithheldReadings {
  reason: WithheldReason;
  /** How many readings the value or message would have yielded. */
  count: number;
  /** The BLE characteristic (`2a5e`) the values came in, when there is one. */
  characteristic?: string;
}

/**
 * The live cuff pressure of a blood-pressure monitor while it inflates (Intermediate Cuff
 * Pressure, 0x2A36): progress to show, never a blood pressure to store.
 */
export interface CuffPressure {
  /** The pressure, or `undefined` when the device sent a special value. */
  value?: number;
  unit: 'mm[Hg]' | 'kPa';
}

/** The events of a {@link DeviceSource}. */
export interface DeviceSourceEvents {
  reading: [DriverReading];
  state: [DeviceState];
  /** Non-fatal: garbage, bad checksum, a message that could not be parsed. */
  error: [DriverError];
  alarm: [DeviceAlarm];
  /**
   * Values that are not a patient's (demo, test, control solution) were dropped, not emitted
   * as readings. The agent counts or logs them by `reason`.
   */
  readingsWithheld: [WithheldReadings];
  /** BLE only: the cuff pressure during inflation; not a reading. */
  cuffPressure: [CuffPressure];
  /**
   * HL7 only: a message was answered (ACK code and MSH-10, never the content). `errorCode`
   * says why it was not AA: the {@link DriverError} code of a message that could not be
   * taken, or the acceptor's failure (its `code` when it has one, else `ACCEPTOR_FAILED`).
   */
  messageAcknowledged: [
    { code: 'AA' | 'AE' | 'AR'; controlId: string; skippedDemo: number; errorCode?: string },
  ];
}

/** A running device connection that emits readings. */
export interface DeviceSource extends EventEmitter<DeviceSourceEvents> {
  readonly state: DeviceState;
  readonly spec: DeviceSpec;
  start(): Promise<void>;
  stop(): Promise<void>;
}
