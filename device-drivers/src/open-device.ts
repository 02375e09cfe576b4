import { BleSource } from './ble/ble-source.js';
import { MllpListener } from './hl7/mllp-listener.js';
import { MqttJsonSource } from './mqtt/mqtt-json-source.js';
import { SERIAL_PROTOCOLS } from './serial/protocols.js';
import { SerialSource } from './serial/serial-source.js';
import { DRIVERS, type DeviceSource, type DeviceSpec } from './types.js';

/**
 * Opens a device from its config. Nothing happens until `start()`; the source then
 * connects, emits readings and reconnects with backoff until `stop()`.
 *
 * @throws {TypeError} when the spec misses an option its driver needs.
 * @example
 * ```ts
 * const source = openDevice({ id: 'ox-1', driver: 'contec-cms50d', path: '/dev/ttyUSB0' });
 * source.on('reading', (r) => console.log(r.code, r.value));
 * await source.start();
 * ```
 */
export function openDevice(spec: DeviceSpec): DeviceSource {
  if (!spec.id) {
    throw new TypeError('"id" is required');
  }
  if (!(DRIVERS as readonly string[]).includes(spec.driver)) {
    throw new TypeError(`"driver" must be one of ${DRIVERS.join(', ')}`);
  }

  switch (spec.driver) {
    case 'contec-cms50d':
    case 'contec-cms50d-v46':
    case 'nonin-format2':
      return new SerialSource(spec, SERIAL_PROTOCOLS[spec.driver]);
    case 'hl7-mllp':
      return new MllpListener(spec);
    case 'mqtt-json':
      return new MqttJsonSource(spec);
    case 'ble-gatt':
      return new BleSource(spec);
  }
}
