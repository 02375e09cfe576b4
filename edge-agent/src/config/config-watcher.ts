import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

import { codeOf } from '../errors.js';
import type { Logger } from '../log.js';

/** Milliseconds a change must settle before the file is read: editors write in steps. */
const SETTLE_MS = 200;

/**
 * Calls `onChange` when the config file changes. The directory is watched, not the file: an
 * editor that saves by renaming a new file over the old one leaves a watch on the old file
 * blind. A watch that cannot start or fails is logged by code; SIGHUP still reloads.
 *
 * @example
 * ```ts
 * const watcher = new ConfigWatcher('/etc/sparkden/agent.yaml', () => agent.reload(), log);
 * watcher.close();
 * ```
 */
export class ConfigWatcher {
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;

  constructor(file: string, onChange: () => void, log: Logger) {
    const name = basename(file);
    try {
      this.#watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) {
          return;
        }
        clearTimeout(this.#timer);
        this.#timer = setTimeout(onChange, SETTLE_MS);
      });
      this.#watcher.on('error', (error) => {
        log.warn(
          { event: 'configWatchFailed', code: codeOf(error) },
          'config file no longer watched; use SIGHUP',
        );
        this.close();
      });
    } catch (error) {
      log.warn(
        { event: 'configWatchFailed', code: codeOf(error) },
        'config file not watched; use SIGHUP',
      );
    }
  }

  /** Stops watching; a change still settling is dropped. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }
}
