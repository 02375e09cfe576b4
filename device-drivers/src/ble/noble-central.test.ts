import { EventEmitter } from 'node:events';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DriverError } from '../errors.js';
import { hex, waitFor } from '../test-support.js';
import type { DeviceState, DriverReading } from '../types.js';
import { BleSource } from './ble-source.js';
import { NobleCentral } from './noble-central.js';

// A fake `@abandonware/noble`: the same events and async methods, no Bluetooth hardware.
// Noble reports SIG characteristics by their 16-bit UUID (`2a18`); a glucose meter here
// holds records 1 and 2 and answers the Record Access Control Point as GLS specifies.

class FakeCharacteristic extends EventEmitter {
  readonly writes: string[] = [];
  subscribed = false;

  constructor(
    readonly uuid: string,
    readonly properties: string[],
    readonly onWrite: (bytes: Buffer) => void = () => undefined,
  ) {
    super();
  }

  readAsync(): Promise<Buffer> {
    return Promise.resolve(Buffer.alloc(0));
  }

  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    this.writes.push(`${data.toString('hex')}${withoutResponse ? ' no-response' : ''}`);
    setImmediate(() => this.onWrite(data));
    return Promise.resolve();
  }

  subscribeAsync(): Promise<void> {
    this.subscribed = true;
    return Promise.resolve();
  }

  /** What the peripheral notifies or indicates. */
  notify(bytes: string): void {
    this.emit('data', Buffer.from(hex(bytes)), true);
  }
}

/** [GSS 0x2A18] glucose in kg/L (mg/dL × 10^-5), capillary whole blood, finger. */
const record = (seq: number, mgdl: number) =>
  `02 ${seq.toString(16).padStart(2, '0')} 00 e8 07 03 0f 07 2d 00 ${mgdl.toString(16)} b0 11`;

class FakePeripheral extends EventEmitter {
  readonly address = 'aa:bb:cc:dd:ee:ff';
  readonly advertisement = { localName: 'Meter' };
  readonly discovered: string[][] = [];
  connects = 0;
  failNextConnect = false;
  glucose = new FakeCharacteristic('2a18', ['notify']);
  heartRate = new FakeCharacteristic('2a37', ['notify']);
  racp = new FakeCharacteristic('2a52', ['write', 'indicate'], (request) => {
    const from = request.length === 5 ? request[3] : 1;
    [record(1, 90), record(2, 100)]
      .filter((_, i) => i + 1 >= from)
      .forEach((r) => this.glucose.notify(r));
    this.racp.notify('06 00 01 01');
  });

  connectAsync(): Promise<void> {
    this.connects++;
    if (this.failNextConnect) {
      this.failNextConnect = false;
      return Promise.reject(new Error('connection timed out'));
    }
    return Promise.resolve();
  }

  disconnectAsync(): Promise<void> {
    setImmediate(() => this.emit('disconnect'));
    return Promise.resolve();
  }

  discoverSomeServicesAndCharacteristicsAsync(services: string[], characteristics: string[]) {
    this.discovered.push([...services, ...characteristics]);
    // A fresh set per discovery, as noble builds one per connection.
    this.glucose = new FakeCharacteristic('2a18', ['notify']);
    this.heartRate = new FakeCharacteristic('2a37', ['notify']);
    this.racp.removeAllListeners('data');

    return Promise.resolve({ characteristics: [this.glucose, this.heartRate, this.racp] });
  }
}

class FakeNoble extends EventEmitter {
  _state: string;
  scans = 0;

  constructor(
    readonly peripherals: FakePeripheral[],
    state = 'unknown',
  ) {
    super();
    this._state = state;
  }

  setState(state: string): void {
    this._state = state;
    this.emit('stateChange', state);
  }

  startScanningAsync(): Promise<void> {
    this.scans++;
    setImmediate(() => this.peripherals.forEach((p) => this.emit('discover', p)));
    return Promise.resolve();
  }

  stopScanningAsync(): Promise<void> {
    return Promise.resolve();
  }
}

const spec = {
  id: 'gl',
  driver: 'ble-gatt' as const,
  ble: { address: 'AA:BB:CC:DD:EE:FF', fetchStored: true },
  reconnect: { minMs: 5, maxMs: 10 },
};

async function rejection(promise: Promise<unknown>): Promise<DriverError> {
  try {
    await promise;
  } catch (e) {
    assert.instance(e, DriverError);
    return e as DriverError;
  }
  throw new Error('expected a rejection');
}

test('a BLE library that fails to load is NO_ADAPTER, once, and the source stops trying', async () => {
  let loads = 0;
  const central = new NobleCentral({
    loadModule: () => {
      loads++;
      return Promise.reject(new Error("Cannot find module '@abandonware/noble'"));
    },
  });
  const source = new BleSource(spec, central);
  const errors: string[] = [];
  const states: DeviceState[] = [];
  source.on('error', (e) => errors.push(e.code));
  source.on('state', (s) => states.push(s));

  await source.start();
  await source.stop();

  assert.equal(errors, ['NO_ADAPTER']);
  assert.equal(states, ['connecting', 'error', 'disconnected']);
  assert.is(loads, 1);
});

test('an adapter whose state goes "unsupported" is NO_ADAPTER naming the state', async () => {
  const noble = new FakeNoble([new FakePeripheral()]);
  const central = new NobleCentral({ loadModule: () => Promise.resolve({ default: noble }) });
  setImmediate(() => noble.setState('unsupported'));

  const error = await rejection(central.connect(spec));

  assert.is(error.code, 'NO_ADAPTER');
  assert.match(error.reason, /unsupported/);
  assert.is(noble.scans, 0, 'no scan without an adapter');
  assert.is(noble.listenerCount('stateChange'), 0);
});

test('a module without a noble central is NO_ADAPTER', async () => {
  const central = new NobleCentral({ loadModule: () => Promise.resolve({}) });

  assert.is((await rejection(central.connect(spec))).code, 'NO_ADAPTER');
});

test('connect, discover, subscribe, RACP, data; a drop reconnects with backoff and resumes', async () => {
  const other = Object.assign(new FakePeripheral(), { address: '11:22:33:44:55:66' });
  const meter = new FakePeripheral();
  const noble = new FakeNoble([other, meter]);
  const central = new NobleCentral({ loadModule: () => Promise.resolve({ default: noble }) });
  const source = new BleSource(spec, central);
  const readings: DriverReading[] = [];
  const states: DeviceState[] = [];
  const errors: string[] = [];
  source.on('reading', (r) => readings.push(r));
  source.on('state', (s) => states.push(s));
  source.on('error', (e) => errors.push(e.code));
  setImmediate(() => noble.setState('poweredOn'));

  await source.start();
  await waitFor(() => readings.length >= 2);
  const firstRacp = meter.racp.writes.slice();
  meter.heartRate.notify('00 48');
  await waitFor(() => readings.length >= 3);

  // The link drops; the first reconnect fails; the next one resumes after record 2.
  meter.failNextConnect = true;
  meter.emit('disconnect');
  await waitFor(() => states.filter((s) => s === 'connected').length >= 2);
  await waitFor(() => meter.racp.writes.length >= 2);
  await source.stop();

  assert.is(other.connects, 0, 'only the configured address is connected');
  assert.equal(meter.discovered[0], ['180d', '1810', '1809', '1822', '1808', '181d']);
  assert.ok(meter.glucose.subscribed && meter.racp.subscribed);
  // [GLS RACP] report stored records: all, then those with sequence number >= 3.
  assert.equal(firstRacp, ['0101']);
  assert.equal(meter.racp.writes, ['0101', '0103010300']);
  assert.equal(
    readings.map((r) => [r.code, r.value, r.unit]),
    [
      ['glucose', 90, 'mg/dL'],
      ['glucose', 100, 'mg/dL'],
      ['heart-rate', 72, '/min'],
    ],
  );
  assert.equal(errors, ['TRANSPORT']);
  assert.equal(states, [
    'connecting',
    'connected',
    'disconnected',
    'connecting',
    'error',
    'connecting',
    'connected',
    'disconnected',
  ]);
  assert.is(meter.connects, 3);
});

test('a bad option is a TypeError naming it', () => {
  assert.throws(() => new NobleCentral({ scanTimeoutMs: 0 }), /"scanTimeoutMs" must be > 0/);
});

test.run();
