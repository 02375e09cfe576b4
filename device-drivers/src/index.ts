/**
 * `@sparkden/device-drivers`: byte-exact parsers of device protocols (Bluetooth SIG health
 * characteristics, Contec and Nonin serial oximeters, HL7 v2 over MLLP, MQTT JSON), their
 * transports, and a simulator for each device. Never logs: sources emit events.
 *
 * @example
 * ```ts
 * import { openDevice, startSerialSimulator } from '@sparkden/device-drivers';
 * const sim = await startSerialSimulator({ driver: 'contec-cms50d', scenario: 'normal' });
 * const source = openDevice({ id: 'ox-1', driver: 'contec-cms50d', path: sim.path });
 * source.on('reading', (r) => console.log(r));
 * await source.start();
 * ```
 */
export * from './errors.js';
export * from './types.js';
export { computeBackoff } from './backoff.js';
export { parseDecimal } from './decimal.js';
export { ReadingThrottle } from './reading-throttle.js';
export { openDevice } from './open-device.js';
export { decodeSerial } from './serial/decode-serial.js';
export { SerialFrameReader, type ReaderOutput } from './serial/frame-reader.js';
export { SerialSource } from './serial/serial-source.js';
export { SERIAL_PROTOCOLS } from './serial/protocols.js';
export type { SerialProtocol, SerialLineSettings, FrameOutput } from './serial/serial-protocol.js';
export { contecLive5, encodeContecLive5, type ContecLive5Frame } from './serial/contec-live5.js';
export { contecV46, type ContecV46Frame } from './serial/contec-v46.js';
export {
  encodeContecV46Packet,
  CONTEC_V46_START,
  CONTEC_V46_STOP,
  CONTEC_V46_KEEP_ALIVE,
} from './serial/contec-v46-commands.js';
export { noninFormat2, encodeNoninFrame, type NoninFrame } from './serial/nonin-format2.js';
export { SCENARIOS, vitalsAt, type ScenarioName, type SimulatedVitals } from './sim/scenarios.js';
export { createPtyPair, type PtyPair } from './sim/pty-pair.js';
export {
  startSerialSimulator,
  type SerialSimulator,
  type SerialSimulatorOptions,
} from './sim/serial-simulator.js';
export { decodeGatt, parseGatt, normalizeGattUuid, GATT_PARSERS } from './gatt/decode-gatt.js';
export type { GattDecoded, GattContext, GattParser } from './gatt/gatt-result.js';
export {
  parseSfloat,
  parseFloat32,
  encodeSfloat,
  encodeFloat32,
  scaleDecimal,
  type MedicalNumber,
} from './gatt/ieee11073.js';
export { ByteReader, type DeviceClock } from './gatt/byte-reader.js';
export { parseHeartRate } from './gatt/heart-rate.js';
export { parseBloodPressure, parseIntermediateCuffPressure } from './gatt/blood-pressure.js';
export { parseTemperature, TEMPERATURE_TYPES } from './gatt/temperature.js';
export { parsePlxSpotCheck } from './gatt/plx-spot-check.js';
export { parsePlxContinuous } from './gatt/plx-continuous.js';
export { parseGlucose } from './gatt/glucose.js';
export { parseGlucoseContext } from './gatt/glucose-context.js';
export { parseWeight } from './gatt/weight.js';
export { parseWeightFeature, weightContext } from './gatt/weight-feature.js';
export { decodeHl7, handleHl7Message, type Hl7Outcome } from './hl7/decode-hl7.js';
export { parseHl7, parseHl7Time, type Hl7Message, type Hl7Segment } from './hl7/hl7-message.js';
export { buildAck, formatHl7Time, type AckCode } from './hl7/hl7-ack.js';
export { readOruR01, type OruResult } from './hl7/oru-r01.js';
export { mapObservationCode, mapUnit } from './hl7/mdc-map.js';
export { MllpFramer, encodeMllp } from './hl7/mllp-framer.js';
export {
  MllpListener,
  type Hl7Acceptor,
  type Hl7Delivery,
  type Hl7Verdict,
} from './hl7/mllp-listener.js';
export { buildOruR01, type OruBuildOptions } from './hl7/oru-builder.js';
export {
  startHl7Simulator,
  type Hl7Simulator,
  type Hl7SimulatorOptions,
  type Hl7Exchange,
} from './hl7/hl7-simulator.js';
export { decodeMqttJson, topicMatches, checkMapping } from './mqtt/mqtt-json.js';
export { MqttJsonSource } from './mqtt/mqtt-json-source.js';
export {
  startMqttSimulator,
  SIMULATED_GATEWAY_MAPPING,
  type MqttSimulatorOptions,
} from './mqtt/mqtt-simulator.js';
export type { BleCentral, GattLink } from './ble/gatt-link.js';
export { BleSource } from './ble/ble-source.js';
export {
  GlucoseContextJoin,
  toGlucoseContext,
  type GlucoseContextJoinOptions,
} from './ble/glucose-context-join.js';
export { NobleCentral, type NobleCentralOptions } from './ble/noble-central.js';
export {
  encodeRacpReport,
  parseRacpIndication,
  RACP_OP,
  RACP_RESPONSES,
  type RacpIndication,
} from './ble/racp.js';
export {
  startBleSimulator,
  SimulatedBleDevice,
  BLE_SIMULATORS,
  type BleSimulatorName,
  type BleSimulatorOptions,
} from './sim/ble-simulator.js';
export { SIMULATORS, type SimulatorInfo, type SimulatorKind } from './sim/simulators.js';
