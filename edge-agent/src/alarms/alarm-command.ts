import { spawn } from 'node:child_process';

import type { AlarmMessage } from '@sparkden/protocol';

import type { Logger } from '../log.js';

/** Milliseconds a command may run before it is killed. */
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Runs the local alarm command: `argv` as configured (nothing of the alarm in it, since any
 * user on the box can read a process's arguments), the alarm JSON and a newline on stdin,
 * and only opaque fields in the environment (`SPARKDEN_ALARM_ID`, `SPARKDEN_ALARM_CODE`,
 * `SPARKDEN_ALARM_SEVERITY`, `SPARKDEN_DEVICE_ID`). Killed after 30 s. Failures are logged
 * by code, never thrown.
 *
 * @example
 * ```ts
 * await runAlarmCommand(['/usr/local/bin/page-nurse', '--ward', '3'], alarm, log);
 * ```
 */
export function runAlarmCommand(
  argv: readonly string[],
  alarm: AlarmMessage['alarms'][number],
  log: Logger,
): Promise<void> {
  const [program, ...args] = argv;
  if (program === undefined) {
    throw new TypeError('"command" must name a program');
  }

  return new Promise<void>((resolve) => {
    const child = spawn(program, args, {
      env: {
        ...process.env,
        SPARKDEN_ALARM_ID: alarm.id,
        SPARKDEN_ALARM_CODE: alarm.code,
        SPARKDEN_ALARM_SEVERITY: alarm.severity,
        SPARKDEN_DEVICE_ID: alarm.deviceId,
      },
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    timer.unref();
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      // A command that does not read its stdin closes it: that is its choice, not a failure.
      if (error.code !== 'EPIPE') {
        log.warn(
          { event: 'localAlarmCommandFailed', code: error.code },
          'alarm not written to command',
        );
      }
    });
    child.stdin.end(`${JSON.stringify(alarm)}\n`);
    child.on('error', (error: NodeJS.ErrnoException) => {
      log.warn(
        { event: 'localAlarmCommandFailed', code: error.code },
        'local alarm command failed to start',
      );
      clearTimeout(timer);
      resolve();
    });
    child.on('exit', (code, signal) => {
      if (code !== 0) {
        log.warn(
          { event: 'localAlarmCommandFailed', exitCode: code, signal },
          'local alarm command failed',
        );
      }
      clearTimeout(timer);
      resolve();
    });
  });
}
