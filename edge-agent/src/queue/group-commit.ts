import type { Observation } from '@sparkden/protocol';

import type { AlarmEntry } from '../alarms/local-alarms.js';
import type { Logger } from '../log.js';
import { PRIORITY, type AppendGroup, type SealedQueue } from './sealed-queue.js';

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  queue: SealedQueue;
  log: Logger;
  /** Something was committed (or a piecewise commit ended): the uplink may send. */
  onCommitted: () => void;
  /** Sources that can pause should hold (`true`) or resume, as memory fills or drains. */
  onBackpressure: (paused: boolean) => void;
  /** The disk filled (`true`, once) or has room again (`false`). */
  onDiskFull: (full: boolean) => void;
  /** Readings (not alarms) just committed: only now are they accepted. */
  onReadingsTaken?: (count: number) => void;
  /** Items kept in memory past a failed write before the oldest bulk is dropped. */
  maxPending?: number;
  /** Items per sealed record. */
  groupItems?: number;
}

interface Pending {
  obs: Observation[];
  urgent: Observation[];
  alarms: AlarmEntry[];
  cursors: Record<string, string>;
}

const empty = (): Pending => ({ obs: [], urgent: [], alarms: [], cursors: {} });

/**
 * What the agent has taken but not yet committed, and the group commit that writes it to
 * the sealed queue: alarms, urgent and bulk readings and the source cursors go in one
 * fsynced transaction every `flushMs`, or at once for alarms. With the disk full it commits
 * what fits piecewise, alarms first, holds the rest in memory (bounded: the oldest bulk
 * readings go first, logged) and asks sources to pause.
 *
 * @example
 * ```ts
 * const writes = new GroupCommit({ queue, log, onCommitted, onBackpressure, onDiskFull });
 * writes.pushObs(observation);
 * writes.start(() => 20);
 * ```
 */
export class GroupCommit {
  #options: GroupCommitOptions;
  #pending: Pending = empty();
  #maxPending: number;
  #groupItems: number;
  #diskFull = false;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  /** Who waits for a reading to be committed (a device that acknowledges only then). */
  #waiters = new Map<Observation, () => void>();

  constructor(options: GroupCommitOptions) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? 50_000;
    this.#groupItems = options.groupItems ?? 500;
  }

  /** Items held in memory, not yet committed. */
  get size(): number {
    const p = this.#pending;

    return p.obs.length + p.urgent.length + p.alarms.length;
  }

  /** Holds a bulk reading; `taken` is called once it is committed (never, if it is dropped). */
  pushObs(obs: Observation, taken?: () => void): void {
    this.#wait(obs, taken);
    this.#pending.obs.push(obs);
  }

  /** Holds a reading that breached an alarm rule; see {@link pushObs}. */
  pushUrgent(obs: Observation, taken?: () => void): void {
    this.#wait(obs, taken);
    this.#pending.urgent.push(obs);
  }

  #wait(obs: Observation, taken: (() => void) | undefined): void {
    if (taken !== undefined) {
      this.#waiters.set(obs, taken);
    }
  }

  /**
   * Tells the waiters of readings just committed, and counts them. Bulk readings the full
   * queue refused (drop-newest, logged) are released too, as the policy says, but not counted.
   */
  #taken(readings: readonly unknown[], refused = 0): void {
    for (const obs of readings) {
      const taken = this.#waiters.get(obs as Observation);
      this.#waiters.delete(obs as Observation);
      taken?.();
    }
    if (readings.length > refused) {
      this.#options.onReadingsTaken?.(readings.length - refused);
    }
  }

  pushAlarm(alarm: AlarmEntry): void {
    this.#pending.alarms.push(alarm);
  }

  /** The position a resumable source reached; committed with its readings. */
  setCursor(source: string, position: string): void {
    this.#pending.cursors[source] = position;
  }

  /** Drops readings from memory that will not be committed (their sender is told to resend). */
  discard(items: ReadonlySet<Observation | undefined>): void {
    const p = this.#pending;
    p.obs = p.obs.filter((o) => !items.has(o));
    p.urgent = p.urgent.filter((o) => !items.has(o));
    items.forEach((o) => o && this.#waiters.delete(o));
  }

  /** Commits every `intervalMs()` (read each time, so a reload applies) until {@link stop}. */
  start(intervalMs: () => number): void {
    this.#stopped = false;
    this.#schedule(intervalMs);
  }

  /** Stops the timer; {@link flush} still works (the final commit at shutdown). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(intervalMs: () => number): void {
    this.#timer = setTimeout(
      () => {
        try {
          this.flush();
        } catch (error) {
          this.#options.log.error(
            {
              event: 'flushFailed',
              code: (error as { code?: string }).code,
              err: (error as Error).message,
            },
            'queue write failed; retrying',
          );
        }
        if (!this.#stopped) {
          this.#schedule(intervalMs);
        }
      },
      Math.max(1, intervalMs()),
    );
  }

  /**
   * Pauses sources while memory holds half the bound, and past the bound drops the oldest
   * bulk readings (never alarms or urgent readings), logged.
   */
  limit(): void {
    const p = this.#pending;
    const total = p.obs.length + p.urgent.length;
    this.#options.onBackpressure(total >= this.#maxPending / 2);
    if (p.obs.length > this.#maxPending) {
      const dropped = p.obs.splice(0, p.obs.length - this.#maxPending);
      dropped.forEach((o) => this.#waiters.delete(o));
      this.#options.log.error(
        { event: 'pendingDropped', items: dropped.length },
        'queue cannot be written and memory is full: oldest bulk readings dropped',
      );
    }
  }

  #groups(): AppendGroup[] {
    const p = this.#pending;
    const chunks = (kind: AppendGroup['kind'], priority: number, items: unknown[]) => {
      const out: AppendGroup[] = [];
      for (let i = 0; i < items.length; i += this.#groupItems) {
        out.push({ kind, priority, items: items.slice(i, i + this.#groupItems) });
      }

      return out;
    };

    return [
      ...chunks('alarm', PRIORITY.alarm, p.alarms),
      ...chunks('obs', PRIORITY.urgent, p.urgent),
      ...chunks('obs', PRIORITY.bulk, p.obs),
    ];
  }

  /** Commits what is pending in one fsynced transaction. Returns whether it succeeded. */
  flush(): boolean {
    const p = this.#pending;
    if (this.size === 0 && Object.keys(p.cursors).length === 0) {
      return true;
    }
    // While the disk is full, only small pieces are tried: sealing everything each time would
    // burn through record ids (and their fsynced reservations) for nothing.
    if (this.#diskFull) {
      return this.#flushPiecewise();
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const refused = this.#commit(this.#groups(), p.cursors);
        this.#pending = empty();
        this.#taken([...p.urgent, ...p.obs], refused);
        this.#recovered();
        this.limit();
        this.#options.onCommitted();

        return true;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'QUEUE_CORRUPT') {
          continue;
        }
        if (code === 'DISK_FULL') {
          return this.#flushPiecewise();
        }
        throw error;
      }
    }

    return false;
  }

  /** @returns the bulk readings the full queue refused. */
  #commit(groups: AppendGroup[], cursors: Record<string, string>): number {
    const refused = this.#options.queue.append(groups, cursors);
    if (refused > 0) {
      this.#options.log.error(
        { event: 'readingsRefused', items: refused },
        'queue full (drop-newest): new bulk readings not kept',
      );
    }

    return refused;
  }

  #recovered(): void {
    if (this.#diskFull) {
      this.#diskFull = false;
      this.#options.onDiskFull(false);
    }
  }

  /**
   * With the disk full, commits what still fits in small pieces, alarms first, and keeps the
   * rest in memory. Source cursors wait for the last piece, so a crash meanwhile replays
   * (never skips) the readings of a resumable source.
   *
   * @returns whether everything pending was committed.
   */
  #flushPiecewise(): boolean {
    const p = this.#pending;
    const pieces: [keyof Omit<Pending, 'cursors'>, AppendGroup['kind'], number][] = [
      ['alarms', 'alarm', PRIORITY.alarm],
      ['urgent', 'obs', PRIORITY.urgent],
      ['obs', 'obs', PRIORITY.bulk],
    ];
    try {
      for (const [field, kind, priority] of pieces) {
        while (p[field].length > 0) {
          const items = p[field].slice(0, 50);
          const refused = this.#commit([{ kind, priority, items }], {});
          p[field].splice(0, items.length);
          if (field !== 'alarms') {
            this.#taken(items, refused);
          }
        }
      }
      this.#commit([], p.cursors);
      this.#pending = empty();
      this.#recovered();

      return true;
    } catch (error) {
      if ((error as { code?: string }).code !== 'DISK_FULL') {
        throw error;
      }
      if (!this.#diskFull) {
        this.#diskFull = true;
        this.#options.log.error(
          { event: 'diskFull', pending: this.size },
          'queue disk full: readings held in memory, retrying; free space or let the backlog drain',
        );
        this.#options.onDiskFull(true);
      }

      return false;
    } finally {
      this.limit();
      this.#options.onCommitted();
    }
  }
}
