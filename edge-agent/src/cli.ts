import { parseArgs } from 'node:util';

import { loadConfig } from './config/load-config.js';
import { AgentError } from './errors.js';
import { formatStatus, readLocalStatus } from './status.js';

// Each command loads what it needs, so `status` answers at once on a small box.

const USAGE = `sparkden-agent <command> [options]

  run      --config <file>                       run the daemon (SIGHUP reloads the config)
  enroll   --hub <url> --token <token> (--config <file> | --state-dir <dir>)
  status   (--config <file> | --state-dir <dir>) [--json]
  decode   (--gatt <uuid> <hex> | --serial <driver> <hex> | --hl7 <file>) [--json]
           captured bytes to observations; malformed input exits 2 with one line
  simulate <device> [--scenario <name>] [--speed <n>] [--interval-ms <n>] [--count <n>]
           serial on a pty, ble-* as <uuid> <hex> lines, hl7-monitor --to <host:port>,
           mqtt-gateway --broker <mqtt://host:port> [--topic <t>]
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

/** `… | head` closes the pipe early: that is not a failure of the command. */
function endQuietlyOnClosedPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      throw error;
    }
    process.exit(process.exitCode ?? 0);
  });
}

const STDIO = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

async function decode(argv: string[]): Promise<void> {
  const { runDecode } = await import('./cli/decode.js');
  endQuietlyOnClosedPipe();
  process.exitCode = runDecode(argv, STDIO);
}

async function simulate(argv: string[]): Promise<void> {
  const { startSimulation, formatSimulateFailure, SIMULATE_EXIT } =
    await import('./cli/simulate.js');
  endQuietlyOnClosedPipe();
  const sim = await startSimulation(argv, STDIO);
  if (typeof sim === 'number') {
    process.exitCode = sim;
    return;
  }
  const stop = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await sim.done;
  } catch (error) {
    process.stderr.write(`${formatSimulateFailure(error)}\n`);
    process.exitCode = SIMULATE_EXIT.unavailable;
  }
  await sim.stop();
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
    const code = (error as { code?: string }).code ?? 'ERROR';
    const message = (error as Error).message;
    // Driver and envelope errors already start their message with their code.
    fail(message.startsWith(`${code}: `) ? message : `${code}: ${message}`, 1);
  }
}

await main(process.argv.slice(2));
