import { parseArgs } from 'node:util';

import {
  SIMULATORS,
  startBleSimulator,
  startHl7Simulator,
  startMqttSimulator,
  startSerialSimulator,
  type BleSimulatorName,
  type ScenarioName,
  type SerialDriverName,
  type SimulatorInfo,
} from '@sparkden/device-drivers';

/** Where {@link startSimulation} writes: what the device sends on stdout, trouble on stderr. */
export interface SimulateIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A running simulator: `done` resolves once `--count` items went out (never without it). */
export interface Simulation {
  done: Promise<void>;
  stop(): Promise<void>;
}

/** [sysexits.h] 64 usage, 69 the agent, listener or broker to talk to is unavailable. */
export const SIMULATE_EXIT = { usage: 64, unavailable: 69 } as const;

const names = SIMULATORS.map((s) => s.name).join(', ');

export const SIMULATE_USAGE = `simulate <device> [--scenario <name>] [--speed <n>] [--interval-ms <n>] [--count <n>]
  serial devices   print the pseudo-terminal to configure as "path", then stream into it
  ble-* devices    print one line per notification: <uuid> <hex> (input for decode --gatt)
  hl7-monitor      --to <host:port>: send ORU^R01 over MLLP, print each ACK
  mqtt-gateway     --broker <mqtt://host:port> [--topic <t>]: publish JSON, print each payload
  devices: ${names}
`;

interface Options {
  info: SimulatorInfo;
  scenario: ScenarioName;
  speed: number;
  intervalMs?: number;
  count?: number;
  to?: string;
  broker?: string;
  topic: string;
}

function positive(name: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new TypeError(`"--${name}" must be a ${integer ? 'whole ' : ''}number > 0`);
  }

  return n;
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      speed: { type: 'string' },
      'interval-ms': { type: 'string' },
      count: { type: 'string' },
      to: { type: 'string' },
      broker: { type: 'string' },
      topic: { type: 'string' },
    },
  });
  const info = SIMULATORS.find((s) => s.name === positionals[0]);
  if (info === undefined || positionals.length !== 1) {
    throw new TypeError(`simulate needs one device: ${names}`);
  }
  const scenario = (values.scenario ?? 'normal') as ScenarioName;
  if (!info.scenarios.includes(scenario)) {
    throw new TypeError(`"--scenario" for ${info.name} is one of ${info.scenarios.join(', ')}`);
  }
  if (info.kind === 'hl7' && !/^[^:\s]+:\d{1,5}$/.test(values.to ?? '')) {
    throw new TypeError('simulate hl7-monitor needs "--to <host:port>" (the MLLP listener)');
  }
  if (info.kind === 'mqtt' && !/^mqtts?:\/\/[^/]+/.test(values.broker ?? '')) {
    throw new TypeError('simulate mqtt-gateway needs "--broker mqtt://host:port"');
  }

  return {
    info,
    scenario,
    speed: positive('speed', values.speed) ?? 1,
    intervalMs: positive('interval-ms', values['interval-ms']),
    count: positive('count', values.count, true),
    to: values.to,
    broker: values.broker,
    topic: values.topic ?? 'sparkden/sim/gateway',
  };
}

/** `aa bb cc`: the spacing `decode` and the fixtures use. */
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

function simulateBle(o: Options, io: SimulateIo): Simulation {
  const device = startBleSimulator({
    device: o.info.name as BleSimulatorName,
    scenario: o.scenario,
    intervalMs: o.intervalMs,
    speed: o.speed,
  });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let sent = 0;
  device.on('value', ({ uuid, bytes }) => {
    if (o.count !== undefined && sent >= o.count) {
      return;
    }
    io.stdout(`${uuid} ${toHex(bytes)}\n`);
    if (++sent === o.count) {
      finish();
    }
  });

  return { done, stop: () => device.stop() };
}

function simulateHl7(o: Options, io: SimulateIo): Simulation {
  const at = (o.to ?? '').lastIndexOf(':');
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  const sim = startHl7Simulator({
    host: o.to?.slice(0, at),
    port: Number(o.to?.slice(at + 1)),
    scenario: o.scenario,
    intervalMs: o.intervalMs,
    count: o.count,
    speed: o.speed,
    onAck: (e) => {
      const reason = e.ack?.text === undefined ? '' : `: ${e.ack.text}`;
      io.stdout(`${e.controlId} ${e.kind} ACK ${e.ack?.code} (expected ${e.expected})${reason}\n`);
    },
    onError: (error) => fail(error),
  });

  return { done: Promise.race([sim.done, failed]), stop: () => sim.stop() };
}

async function simulateMqtt(o: Options, io: SimulateIo): Promise<Simulation> {
  const sim = await startMqttSimulator({
    url: o.broker ?? '',
    topic: o.topic,
    scenario: o.scenario,
    intervalMs: o.intervalMs,
    speed: o.speed,
    count: o.count,
    onPublish: (payload) => io.stdout(`${o.topic} ${payload}\n`),
  });

  return { done: sim.done, stop: () => sim.stop() };
}

async function simulateSerial(o: Options, io: SimulateIo): Promise<Simulation> {
  const sim = await startSerialSimulator({
    driver: o.info.name as SerialDriverName,
    scenario: o.scenario,
    intervalMs: o.intervalMs,
    speed: o.speed,
  });
  io.stdout(`${sim.path}\n`);

  // A pseudo-terminal device streams until stopped: `--count` does not apply.
  return { done: new Promise<void>(() => undefined), stop: () => sim.stop() };
}

/** `simulate: <CODE>: <reason>`, one line, for a simulator that could not start or run on. */
export function formatSimulateFailure(error: unknown): string {
  const e = error as { code?: unknown; reason?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : 'ERROR';

  return `simulate: ${code}: ${e.reason ?? e.message ?? String(error)}`;
}

/**
 * `sparkden-agent simulate <device>`: starts one of the device simulators the way the agent
 * would meet it: serial devices on a pseudo-terminal, BLE devices as characteristic values
 * (`<uuid> <hex>` lines that `decode --gatt` reads), the bedside monitor as an MLLP client
 * (`--to`), the home gateway publishing JSON (`--broker`). Scenarios as in `SIMULATORS`.
 *
 * @returns The running simulation, or an exit code when it could not start (64, 69).
 * @example
 * ```ts
 * const sim = await startSimulation(['ble-heart-rate', '--count', '3'], io);
 * if (typeof sim !== 'number') await sim.done;
 * ```
 */
export async function startSimulation(
  argv: string[],
  io: SimulateIo,
): Promise<Simulation | number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (error) {
    io.stderr(`sparkden-agent: ${(error as Error).message}\n${SIMULATE_USAGE}`);

    return SIMULATE_EXIT.usage;
  }

  try {
    switch (o.info.kind) {
      case 'serial':
        return await simulateSerial(o, io);
      case 'ble':
        return simulateBle(o, io);
      case 'hl7':
        return simulateHl7(o, io);
      case 'mqtt':
        return await simulateMqtt(o, io);
    }
  } catch (error) {
    io.stderr(`${formatSimulateFailure(error)}\n`);

    return SIMULATE_EXIT.unavailable;
  }
}
