/**
 * Request and reply over IPC between a bench and a load generator it forks, so that the
 * load runs in its own process. One request at a time; values travel by structured clone
 * (`Uint8Array`s included).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Reply<T> = { ok: true; value: T } | { ok: false; message: string };

/** A forked load generator, seen from the bench. */
export interface Child<Request> {
  /** Sends `request`; resolves with the child's answer or rejects with its error. */
  ask<T>(request: Request): Promise<T>;
  /** Disconnects; the child ends (and is killed if it has not within 5 s). */
  close(): Promise<void>;
}

/** Forks `moduleUrl` (an `import.meta.url`) under tsx. */
export function forkChild<Request>(moduleUrl: string): Child<Request> {
  const child = fork(fileURLToPath(moduleUrl), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let queue: Promise<unknown> = Promise.resolve();

  const ask = <T>(request: Request): Promise<T> => {
    const answer = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`load child exited ${code}`));
          child.once('exit', onExit);
          child.once('message', (reply: Reply<T>) => {
            child.off('exit', onExit);
            if (reply.ok) {
              resolve(reply.value);
            } else {
              reject(new Error(`load child: ${reply.message}`));
            }
          });
          child.send(request as object);
        }),
    );
    queue = answer.catch(() => undefined);

    return answer;
  };

  return {
    ask,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      if (child.connected) {
        child.disconnect();
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * In the child: answers each request with `handle`, one at a time, and ends the process
 * (after `onDisconnect`) when the bench disconnects or goes away.
 */
export function serveParent<Request>(
  handle: (request: Request) => Promise<unknown>,
  onDisconnect: () => Promise<void>,
): void {
  let queue: Promise<unknown> = Promise.resolve();
  process.on('message', (request: Request) => {
    queue = queue.then(() =>
      handle(request).then(
        (value) => process.send?.({ ok: true, value } satisfies Reply<unknown>),
        (error: unknown) =>
          process.send?.({
            ok: false,
            message: error instanceof Error ? error.message : String(error),
          } satisfies Reply<unknown>),
      ),
    );
  });
  // Not after the queue: a bench that went away mid-run must not wait for the run's end.
  process.on('disconnect', () => {
    void onDisconnect()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}

/** Whether this module is the child's entry point (and not imported by the bench). */
export function isForkedEntry(moduleUrl: string): boolean {
  return process.send !== undefined && process.argv[1] === fileURLToPath(moduleUrl);
}
