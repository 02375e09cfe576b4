import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { DriverReading, ScenarioName, SerialDriverName } from '@sparkden/device-drivers';

import { loadConfig } from './config/load-config.js';
import { AgentError } from './errors.js';
import { formatStatus, readLocalStatus } from './status.js';

// Each command loads what it needs, so `status` answers at once on a small box.

const USAGE = `sparkden-agent <command> [options]

  run      --config <file>                       run the daemon (SIGHUP reloads the config)
  enroll   --hub <url> --token <token> (--config <file> | --state-dir <dir>)
  status   (--config <file> | --state-dir <dir>) [--json]
  decode   --driver <name> (--hex <bytes> | --file <path>) [--uuid <gatt uuid>]
           (serial drivers, ble-gatt with --uuid, hl7-mllp with an ORU^R01 file)
  simulate --driver <serial driver> [--scenario <name>] [--speed <n>]
`;

// [sysexits.h] 64 usage, 69 unavailable, 77 no permission, 78 configuration
const EXIT = { usage: 64, unavailable: 69, noPermission: 77, config: 78 } as const;

function fail(message: string, code: number): never {
  process.stderr.write(`sparkden-agent: ${message}\n`);
  process.exit(code);
}

function stateDirOf(values: { config?: string; 'state-dir'?: string }): string {
  if (values['state-dir'] !== undefined) {
    return values['state-dir'];
  }
  if (values.config !== undefined) {
    return loadConfig(values.config).stateDir;
  }

  return fail('--config or --state-dir is required', EXIT.usage);
}

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  if (values.config === undefined) {
    fail('run needs --config <file>', EXIT.usage);
  }
  const { startAgent } = await import('./start-agent.js');
  await startAgent({ configFile: values.config, handleSignals: true });
}

async function enroll(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      hub: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  const hub =
    values.hub ?? (values.config === undefined ? undefined : loadConfig(values.config).hub.url);
  if (hub === undefined || values.token === undefined) {
    fail('enroll needs --hub <url> and --token <token>', EXIT.usage);
  }
  const { enrollAgent } = await import('./enroll/enroll.js');
  const result = await enrollAgent({ hub, token: values.token, stateDir: stateDirOf(values) });
  process.stdout.write(`enrolled as ${result.agentId}; broker ${result.mqttUrl}\n`);
}

function status(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'state-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const found = readLocalStatus(stateDirOf(values));
  if (found === undefined) {
    fail('no status yet: the agent has not run with this state dir', EXIT.unavailable);
  }
  const text =
    values.json === true
      ? JSON.stringify({ ...found.status, running: found.running }, null, 2)
      : formatStatus(found.status, found.running);
  process.stdout.write(`${text}\n`);
  process.exitCode = found.running ? 0 : 3;
}

async function decode(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      driver: { type: 'string' },
      hex: { type: 'string' },
      file: { type: 'string' },
      uuid: { type: 'string' },
    },
  });
  if (values.driver === undefined || (values.hex === undefined && values.file === undefined)) {
    fail('decode needs --driver and --hex or --file', EXIT.usage);
  }
  const bytes =
    values.hex !== undefined
      ? Uint8Array.from(Buffer.from(values.hex.replace(/[\s:]/g, ''), 'hex'))
      : new Uint8Array(readFileSync(values.file ?? ''));
  const drivers = await import('@sparkden/device-drivers');
  let readings: DriverReading[];
  if (values.driver === 'ble-gatt') {
    if (values.uuid === undefined) {
      fail('decode --driver ble-gatt needs --uuid <characteristic>', EXIT.usage);
    }
    readings = drivers.decodeGatt(values.uuid, bytes);
  } else if (values.driver === 'hl7-mllp') {
    // HL7 v2 is text; --file takes a message as captured (with or without MLLP framing).
    readings = drivers.decodeHl7(Buffer.from(bytes).toString('utf8'));
  } else {
    readings = drivers.decodeSerial(values.driver, bytes);
  }
  for (const r of readings) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}

async function simulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      driver: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string' },
    },
  });
  const drivers = await import('@sparkden/device-drivers');
  const driver = values.driver as SerialDriverName | undefined;
  if (driver === undefined || !(drivers.SERIAL_DRIVERS as readonly string[]).includes(driver)) {
    fail(`simulate needs --driver (${drivers.SERIAL_DRIVERS.join(', ')})`, EXIT.usage);
  }
  const scenario = (values.scenario ?? 'normal') as ScenarioName;
  if (!(drivers.SCENARIOS as readonly string[]).includes(scenario)) {
    fail(`--scenario must be one of ${drivers.SCENARIOS.join(', ')}`, EXIT.usage);
  }
  const sim = await drivers.startSerialSimulator({
    driver,
    scenario,
    speed: Number(values.speed ?? 1),
  });
  process.stdout.write(`${sim.path}\n`);
  const stop = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const COMMANDS: Record<string, (argv: string[]) => void | Promise<void>> = {
  run,
  enroll,
  status,
  decode,
  simulate,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(USAGE);
    process.exit(name === undefined || name === '--help' ? 0 : EXIT.usage);
  }
  try {
    await command(rest);
  } catch (error) {
    if (error instanceof AgentError) {
      const code = {
        CONFIG_INVALID: EXIT.config,
        CONFIG_UNREADABLE: EXIT.config,
        NOT_ENROLLED: EXIT.config,
        ENROLL_REFUSED: EXIT.noPermission,
        REVOKED: EXIT.noPermission,
      }[error.code as string];
      fail(error.message, code ?? 1);
    }
    if (
      error instanceof TypeError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      fail((error as Error).message, EXIT.usage);
    }
    fail(`${(error as { code?: string }).code ?? 'ERROR'}: ${(error as Error).message}`, 1);
  }
}

await main(process.argv.slice(2));
