import type { AlertingService } from '@sparkden/alerting';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { stringify } from 'yaml';

const agentBin = fileURLToPath(
  new URL('../../../edge-agent/bin/sparkden-agent.js', import.meta.url),
);
const run = promisify(execFile);

/** A simulator in its own process: the device lives on whatever happens to the hub. */
async function startSimulatorProcess(
  pidFile: string,
): Promise<{ path: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [agentBin, 'simulate', 'contec-cms50d', '--scenario', 'desaturation'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const path = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        ok(line.trim());
      }
    });
    child.once('exit', (code) => fail(new Error(`simulator exited with ${code}`)));
  });
  writeFileSync(pidFile, String(child.pid), { mode: 0o600 });

  return {
    path,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((ok) => child.once('exit', ok));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The hub's HTTP base URL the agent enrolls against. */
  hubUrl: string;
  dataDir: string;
  alerting: AlertingService;
  /** The patient the simulated oximeter is bound to (default the demo patient). */
  patientId?: string;
  logger: Logger;
  agentLogLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  /** Overrides the broker URL the hub gives at enrollment. */
  mqttUrl?: string;
}

/** The running demo: a simulated oximeter on a pseudo-terminal and an agent process. */
export interface DemoHandle {
  readonly devicePath: string;
  readonly agentStateDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the demo the README promises: a simulated Contec CMS50D+ whose patient desaturates
 * once a minute writes its real frames into a pseudo-terminal, and a real `sparkden-agent`
 * process (enrolled once with a one-time token, then reusing its keys) reads it and
 * forwards the readings over MQTT with mutual TLS.
 */
export async function startDemo(options: DemoOptions): Promise<DemoHandle> {
  const log = options.logger.child({ module: 'hub:demo' });
  const stateDir = join(options.dataDir, 'demo-agent');
  const configFile = join(stateDir, 'agent.yaml');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  const simulator = await startSimulatorProcess(join(stateDir, 'simulator.pid'));
  writeFileSync(
    configFile,
    stringify({
      stateDir,
      logLevel: options.agentLogLevel ?? 'info',
      hub: { url: options.hubUrl, mqttUrl: options.mqttUrl },
      devices: [
        {
          id: 'demo-oximeter-1',
          driver: 'contec-cms50d',
          model: 'CMS50D+ (simulated)',
          patient: options.patientId ?? 'demo-patient-1',
          path: simulator.path,
          minIntervalMs: 1000,
        },
      ],
      alarms: [{ name: 'SPO2_LOW', code: 'spo2', below: 88, forSeconds: 15, severity: 'urgent' }],
    }),
    { mode: 0o600 },
  );

  // A second start reuses the keys and certificate the first enrollment left (agent-cert.pem).
  if (!existsSync(join(stateDir, 'agent-cert.pem'))) {
    const { token } = await options.alerting.fleet.createToken({
      createdBy: 'system:demo',
      label: 'demo agent',
      ttlSeconds: 600,
    });
    await run(process.execPath, [agentBin, 'enroll', '--config', configFile, '--token', token]);
    log.info('demo agent enrolled');
  }

  const child: ChildProcess = spawn(process.execPath, [agentBin, 'run', '--config', configFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    // Ctrl-C in the terminal signals the agent too (one process group): not a failure.
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
      log.error({ code, signal }, 'demo agent exited');
    }
  });
  log.info({ pid: child.pid }, 'demo agent started with a simulated CMS50D+');

  return {
    devicePath: simulator.path,
    agentStateDir: stateDir,
    async stop() {
      await stopChild(child);
      await simulator.stop();
    },
  };
}
