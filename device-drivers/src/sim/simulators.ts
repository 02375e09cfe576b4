import type { ScenarioName } from './scenarios.js';

/** How a simulator reaches the agent. */
export type SimulatorKind = 'serial' | 'ble' | 'hl7' | 'mqtt';

/** One simulator the `simulate` CLI can start. */
export interface SimulatorInfo {
  name: string;
  kind: SimulatorKind;
  /** The driver the agent configures to read it. */
  driver: string;
  description: string;
  scenarios: readonly ScenarioName[];
}

/**
 * Every simulator, with the scenarios that make sense for it. Serial devices write into a
 * pseudo-terminal (`startSerialSimulator`), BLE devices stream characteristic values
 * (`startBleSimulator`), the monitor is an MLLP client (`startHl7Simulator`) and the gateway
 * publishes JSON (`startMqttSimulator`).
 *
 * @example
 * ```ts
 * for (const s of SIMULATORS) console.log(s.name, s.scenarios.join(', '));
 * ```
 */
export const SIMULATORS: readonly SimulatorInfo[] = [
  {
    name: 'contec-cms50d',
    kind: 'serial',
    driver: 'contec-cms50d',
    description: 'Contec CMS50D+ pulse oximeter, 5-byte live frames at 19200 8O1',
    scenarios: ['normal', 'desaturation', 'finger-out', 'flaky-link'],
  },
  {
    name: 'contec-cms50d-v46',
    kind: 'serial',
    driver: 'contec-cms50d-v46',
    description:
      'Contec CMS50D+ firmware 4.6, 9-byte packets at 115200 8N1 after the start command',
    scenarios: ['normal', 'desaturation', 'finger-out', 'flaky-link'],
  },
  {
    name: 'nonin-format2',
    kind: 'serial',
    driver: 'nonin-format2',
    description: 'Nonin oximeter, serial Data Format #2 at 9600 8N1 with checksums',
    scenarios: ['normal', 'desaturation', 'finger-out', 'flaky-link'],
  },
  {
    name: 'ble-heart-rate',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Heart-rate strap (0x2A37)',
    scenarios: ['normal', 'fever', 'finger-out', 'flaky-link'],
  },
  {
    name: 'ble-blood-pressure',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Blood-pressure cuff (0x2A36 while inflating, then 0x2A35)',
    scenarios: ['normal', 'hypertensive', 'cuff-loose', 'flaky-link'],
  },
  {
    name: 'ble-thermometer',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Health thermometer (0x2A1C)',
    scenarios: ['normal', 'fever', 'flaky-link'],
  },
  {
    name: 'ble-pulse-oximeter',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Pulse oximeter (PLX continuous, 0x2A5F)',
    scenarios: ['normal', 'desaturation', 'finger-out', 'flaky-link'],
  },
  {
    name: 'ble-spot-check-oximeter',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Pulse oximeter taking spot checks (PLX spot-check, 0x2A5E)',
    scenarios: ['normal', 'desaturation', 'finger-out', 'flaky-link'],
  },
  {
    name: 'ble-glucose-meter',
    kind: 'ble',
    driver: 'ble-gatt',
    description:
      'Glucose meter with stored records (0x2A18, context 0x2A34 on odd records, RACP 0x2A52)',
    scenarios: ['normal', 'flaky-link'],
  },
  {
    name: 'ble-weight-scale',
    kind: 'ble',
    driver: 'ble-gatt',
    description: 'Weight scale (0x2A9D, feature 0x2A9E)',
    scenarios: ['normal', 'flaky-link'],
  },
  {
    name: 'hl7-monitor',
    kind: 'hl7',
    driver: 'hl7-mllp',
    description: 'Bedside monitor sending ORU^R01 over MLLP',
    scenarios: [
      'normal',
      'desaturation',
      'hypertensive',
      'fever',
      'finger-out',
      'cuff-loose',
      'flaky-link',
    ],
  },
  {
    name: 'mqtt-gateway',
    kind: 'mqtt',
    driver: 'mqtt-json',
    description: 'ESPHome-like home gateway publishing JSON state',
    scenarios: ['normal', 'desaturation', 'fever', 'finger-out', 'flaky-link'],
  },
];
