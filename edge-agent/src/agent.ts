import { join } from 'node:path';

import type { AgentConfigPush, AgentStatus } from '@sparkden/protocol';

import { LocalAlarms, type AlarmEntry } from './alarms/local-alarms.js';
import { ClockSkew } from './clock-skew.js';
import { ConfigWatcher } from './config/config-watcher.js';
import { loadConfig, showConfigPath } from './config/load-config.js';
import { readPushedConfig, writePushedConfig } from './config/pushed-config-file.js';
import { parsePushedConfig, type AgentConfig } from './config/schema.js';
import { adoptSealingKey, splitSealingKey } from './enroll/sealing-key-rotation.js';
import { InvalidStateError, codeOf } from './errors.js';
import { DeviceSet } from './devices/device-set.js';
import { createLogger, type Logger } from './log.js';
import { GroupCommit } from './queue/group-commit.js';
import { loadQueueKey } from './queue/queue-key.js';
import { SealedQueue } from './queue/sealed-queue.js';
import { SeqCounter } from './queue/seq-counter.js';
import {
  STATE_FILES,
  ensureStateDir,
  loadCredentials,
  writeFileAtomic,
  type Credentials,
} from './state-dir.js';
import { composeStatus, type AgentProblem, type LocalStatus } from './status.js';
import { Uplink, type LinkState } from './uplink/uplink.js';
import { AGENT_VERSION } from './version.js';

/** Options of {@link Agent}. */
export interface AgentOptions {
  config: AgentConfig;
  /** The file the config came from; reloads read it again. */
  configFile?: string;
  /** Reload when the config file changes (default: true when `configFile` is given). */
  watchConfig?: boolean;
  logger?: Logger;
}

/**
 * The edge agent: runs the configured devices, turns their readings into observations on
 * the hub's clock, evaluates local alarms, commits sealed records to the durable queue and
 * lets the uplink carry them to the hub. Reloads its config without restart.
 *
 * @example
 * ```ts
 * const agent = new Agent({ config: loadConfig('agent.yaml'), configFile: 'agent.yaml' });
 * await agent.start();
 * ```
 */
export class Agent {
  #config: AgentConfig;
  #fileConfig: AgentConfig;
  #configFile?: string;
  #log: Logger;
  #credentials!: Credentials;
  #atRestKey!: Uint8Array;
  #recordAgentId!: string;
  #seq!: SeqCounter;
  #queue!: SealedQueue;
  #uplink?: Uplink;
  #skew = new ClockSkew();
  #alarms: LocalAlarms;
  #devices!: DeviceSet;
  #writes!: GroupCommit;
  #statusTimer?: NodeJS.Timeout;
  #watcher?: ConfigWatcher;
  #problems = new Map<AgentProblem['code'], AgentProblem>();
  #link: { state: LinkState; detail?: string } = { state: 'offline' };
  #configVersion?: number;
  #counters = { accepted: 0, invalid: 0, localAlarms: 0 };
  #started = false;
  #stopped = false;
  #watchConfig: boolean;
  #ownLogger: boolean;

  constructor(options: AgentOptions) {
    this.#config = options.config;
    this.#fileConfig = options.config;
    this.#configFile = options.configFile;
    this.#watchConfig = options.watchConfig ?? options.configFile !== undefined;
    this.#ownLogger = options.logger === undefined;
    this.#log = options.logger ?? createLogger({ level: options.config.logLevel });
    this.#alarms = new LocalAlarms({
      rules: this.#config.alarms,
      ...this.#config.localAlarm,
      log: this.#log.child({ module: 'edge-agent:alarms' }),
      now: () => this.#skew.hubNow(),
    });
  }

  get agentId(): string {
    return this.#credentials.agentId;
  }

  /** Opens the queue, connects to the hub and starts the devices. */
  async start(): Promise<void> {
    if (this.#started) {
      throw new InvalidStateError('agent already started');
    }
    this.#started = true;

    const dir = this.#config.stateDir;
    ensureStateDir(dir);
    this.#credentials = loadCredentials(dir);
    const c = this.#credentials;
    this.#log = this.#log.child({ agentId: c.agentId });
    // The queue key is the queue's own: re-enrollment and key rotation never strand records.
    const atRest = loadQueueKey(dir, c);
    this.#atRestKey = atRest.key;
    this.#recordAgentId = atRest.recordAgentId;
    this.#seq = new SeqCounter({ path: join(dir, 'seq') });
    this.#loadPushedConfig();
    this.#openQueue();
    this.#startUplink();
    this.#devices.apply(this.#config.devices);
    this.#writes.start(() => this.#config.queue.flushMs);
    this.#statusTimer = setInterval(
      () => this.#writeStatus(),
      Math.min(5000, this.#config.uplink.heartbeatSeconds * 1000),
    );
    this.#statusTimer.unref();
    if (this.#watchConfig && this.#configFile !== undefined) {
      const log = this.#log.child({ module: 'edge-agent:config' });
      this.#watcher = new ConfigWatcher(this.#configFile, () => this.reload(), log);
    }
    this.#writeStatus();
    this.#log.info(
      { event: 'agentStarted', devices: this.#devices.size, version: AGENT_VERSION },
      'agent started',
    );

    return Promise.resolve();
  }

  #openQueue(): void {
    const q = this.#config.queue;
    this.#queue = new SealedQueue({
      path: join(this.#config.stateDir, STATE_FILES.queue),
      agentId: this.#recordAgentId,
      key: this.#atRestKey,
      nextId: () => this.#seq.next(),
      maxBytes: q.maxBytes,
      maxAgeMs: q.maxAgeHours * 3_600_000,
      overflow: q.overflow,
      maxPages: q.maxPages,
      log: this.#log.child({ module: 'edge-agent:queue' }),
      onQuarantine: (what) => {
        const code = what.file === undefined ? 'RECORD_QUARANTINED' : 'QUEUE_QUARANTINED';
        this.#problems.set(code, {
          code,
          since: new Date().toISOString(),
          detail: what.file ?? `record ${what.recordId}: ${what.reason}`,
        });
        this.#uplink?.publishStatus();
      },
    });
    this.#writes = new GroupCommit({
      queue: this.#queue,
      log: this.#log,
      onCommitted: () => this.#uplink?.kick(),
      onBackpressure: (paused) => {
        this.#devices.setPaused(paused);
      },
      onDiskFull: (full) => this.#onDiskFull(full),
      onReadingsTaken: (count) => {
        this.#counters.accepted += count;
      },
    });
    this.#devices = new DeviceSet({
      log: this.#log,
      agentId: this.#credentials.agentId,
      writes: this.#writes,
      skew: this.#skew,
      alarms: this.#alarms,
      getCursor: (source) => this.#queue.getCursor(source),
      raise: (alarms) => this.#raise(alarms),
      onInvalid: (count) => {
        this.#counters.invalid += count;
      },
    });
  }

  #onDiskFull(full: boolean): void {
    if (!full) {
      this.#clearProblem('DISK_FULL');

      return;
    }
    this.#problems.set('DISK_FULL', { code: 'DISK_FULL', since: new Date().toISOString() });
    this.#writeStatus();
  }

  #startUplink(): void {
    const c = this.#credentials;
    const u = this.#config.uplink;
    this.#uplink = new Uplink({
      credentials: c,
      mqttUrl: this.#config.hub.mqttUrl ?? c.mqttUrl,
      queue: this.#queue,
      seq: this.#seq,
      skew: this.#skew,
      log: this.#log.child({ module: 'edge-agent:uplink' }),
      ackTimeoutMs: u.ackTimeoutSeconds * 1000,
      maxBatch: u.maxBatch,
      maxPacketBytes: u.maxPacketBytes,
      backoff: u.backoff,
      buildStatus: (state) => this.#buildStatus(state),
      onConfig: (push) => this.#onConfigPush(push),
      onLinkState: (state, detail) => this.#onLinkState(state, detail),
    });
    this.#uplink.start(u.heartbeatSeconds * 1000);
  }

  #onLinkState(state: LinkState, detail?: string): void {
    const wasOnline = this.#link.state === 'online';
    this.#link = { state, detail };
    if (state === 'revoked') {
      this.#problems.set('REVOKED', { code: 'REVOKED', since: new Date().toISOString(), detail });
    } else if (state === 'online') {
      this.#problems.delete('REVOKED');
      const alarms = this.#queue.stats().alarms;
      if (alarms > 0) {
        this.#log.info(
          { event: 'localAlarmsReported', alarms },
          'link back: sending alarms raised while offline first',
        );
      }
    }
    if (wasOnline !== (state === 'online')) {
      this.#writeStatus();
    }
  }

  #raise(alarms: AlarmEntry[]): void {
    const offline = this.#link.state !== 'online';
    for (const alarm of alarms) {
      if (offline && alarm.severity !== 'info') {
        alarm.reason = `${alarm.reason};raised-locally`;
        this.#counters.localAlarms++;
        void this.#alarms.raiseLocally(alarm);
      }
      this.#writes.pushAlarm(alarm);
    }
    // Alarms do not wait for the group-commit timer.
    this.#writes.flush();
  }

  #clearProblem(code: AgentProblem['code']): void {
    if (this.#problems.delete(code)) {
      this.#log.info({ event: 'problemCleared', code }, 'recovered');
      this.#writeStatus();
    }
  }

  // ——— configuration ———

  #loadPushedConfig(): void {
    try {
      const stored = readPushedConfig(this.#config.stateDir, this.#atRestKey);
      if (stored !== undefined) {
        this.#config = { ...this.#fileConfig, ...stored.sections };
        this.#configVersion = stored.version;
      }
    } catch (error) {
      this.#log.warn(
        { event: 'pushedConfigUnreadable', code: codeOf(error) },
        'stored hub config unreadable; using the file',
      );
    }
  }

  #onConfigPush(push: AgentConfigPush): void {
    if (this.#configVersion !== undefined && push.version <= this.#configVersion) {
      return;
    }
    let rest: Record<string, unknown>;
    try {
      rest = this.#rotateSealingKey(push);
    } catch (error) {
      this.#log.error(
        {
          event: 'sealingKeyRotationFailed',
          configVersion: push.version,
          err: (error as Error).name,
        },
        'hub sealing key rotation not applied; keeping the current key',
      );

      return;
    }
    const parsed = parsePushedConfig(rest);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => showConfigPath(rest, i.path)).join(', ');
      this.#problems.set('CONFIG_REJECTED', {
        code: 'CONFIG_REJECTED',
        since: new Date().toISOString(),
        detail: `version ${push.version}: ${fields}`,
      });
      this.#log.warn(
        { event: 'configRejected', configVersion: push.version, fields },
        'hub config invalid; keeping the current one',
      );
      this.#uplink?.publishStatus();

      return;
    }
    writePushedConfig(this.#config.stateDir, this.agentId, this.#atRestKey, push);
    this.#problems.delete('CONFIG_REJECTED');
    this.#configVersion = push.version;
    this.#apply({ ...this.#fileConfig, ...parsed.data });
    this.#log.info(
      { event: 'configApplied', configVersion: push.version, source: 'hub' },
      'hub config applied',
    );
    this.#uplink?.publishStatus();
    this.#writeStatus();
  }

  /**
   * Applies a sealing key rotation carried in a pushed config: the identity moves to the new
   * key id on disk first, then the uplink seals every new frame with it (the queue at rest
   * keeps the agent's own key, so queued records are unaffected).
   *
   * @returns The rest of the config.
   */
  #rotateSealingKey(push: AgentConfigPush): Record<string, unknown> {
    const { sealingKey, rest } = splitSealingKey(push.config);
    if (sealingKey === undefined) {
      return rest;
    }
    const next = adoptSealingKey(this.#config.stateDir, this.#credentials, sealingKey);
    if (next !== undefined) {
      const from = this.#credentials.keyId;
      this.#credentials = next;
      this.#uplink?.useSealingKey(next.keyId, next.hubPublicKey);
      this.#log.info(
        { event: 'sealingKeyRotated', fromKeyId: from, keyId: next.keyId },
        'now sealing with the new hub key',
      );
    }

    return rest;
  }

  /**
   * Reads the config file again and applies it (SIGHUP, file change). An invalid file is
   * logged with its line and field and the running config is kept.
   */
  reload(): boolean {
    if (this.#configFile === undefined || this.#stopped) {
      return false;
    }
    let next: AgentConfig;
    try {
      next = loadConfig(this.#configFile);
    } catch (error) {
      this.#log.error(
        {
          event: 'configInvalid',
          code: (error as { code?: string }).code,
          err: (error as Error).message,
        },
        'config reload refused; keeping the running config',
      );

      return false;
    }
    if (
      next.stateDir !== this.#fileConfig.stateDir ||
      JSON.stringify(next.hub) !== JSON.stringify(this.#fileConfig.hub)
    ) {
      this.#log.warn(
        { event: 'configNeedsRestart', fields: 'stateDir, hub' },
        'stateDir and hub changes take effect at the next start',
      );
    }
    this.#fileConfig = next;
    const pushed = this.#configVersion === undefined ? {} : this.#pushedSections();
    this.#apply({ ...next, ...pushed, stateDir: this.#config.stateDir, hub: this.#config.hub });
    this.#log.info({ event: 'configApplied', source: 'file' }, 'config reloaded');

    return true;
  }

  #pushedSections(): Partial<AgentConfig> {
    try {
      return readPushedConfig(this.#config.stateDir, this.#atRestKey)?.sections ?? {};
    } catch (error) {
      this.#log.warn(
        { event: 'pushedConfigUnreadable', code: codeOf(error) },
        'stored hub config unreadable; reloading the file alone',
      );

      return {};
    }
  }

  #apply(config: AgentConfig): void {
    this.#config = config;
    if (this.#ownLogger) {
      this.#log.level = config.logLevel;
    }
    this.#queue.setBounds({
      maxBytes: config.queue.maxBytes,
      maxAgeMs: config.queue.maxAgeHours * 3_600_000,
      overflow: config.queue.overflow,
    });
    this.#alarms.update({ rules: config.alarms, ...config.localAlarm });
    this.#devices.apply(config.devices);
  }

  // ——— status ———

  #buildStatus(measured: AgentStatus['state']): LocalStatus {
    const ids = this.#devices.ids();

    return composeStatus({
      measured,
      agentId: this.#credentials.agentId,
      sealingKeyId: this.#credentials.keyId,
      version: AGENT_VERSION,
      queue: this.#queue.stats(),
      devices: this.#devices.describe(),
      configVersion: this.#configVersion,
      link: this.#link,
      problems: [...this.#problems.values()],
      pendingInMemory: this.#writes.size,
      batchTarget: this.#uplink?.batchTarget ?? 0,
      skew: {
        hubOffsetMs: this.#skew.hubOffsetMs,
        devices: Object.fromEntries(ids.map((id) => [id, this.#skew.deviceOffsetMs(id)])),
      },
      counters: this.#counters,
    });
  }

  /** The current status, as `sparkden-agent status` shows it. */
  status(): LocalStatus {
    if (!this.#started) {
      throw new InvalidStateError('agent not started');
    }

    return this.#buildStatus(this.#link.state === 'online' ? 'online' : 'offline');
  }

  #writeStatus(): void {
    if (!this.#started || this.#stopped) {
      return;
    }
    try {
      const status = this.status();
      writeFileAtomic(
        join(this.#config.stateDir, STATE_FILES.status),
        JSON.stringify(status, null, 2),
        0o640,
      );
    } catch (error) {
      this.#log.warn(
        { event: 'statusWriteFailed', code: (error as { code?: string }).code },
        'local status not written',
      );
    }
  }

  /** Stops the devices, commits what is pending, says offline to the hub and closes the queue. */
  async stop(): Promise<void> {
    if (this.#stopped || !this.#started) {
      this.#stopped = true;

      return;
    }
    this.#stopped = true;
    this.#writes.stop();
    clearInterval(this.#statusTimer);
    this.#watcher?.close();
    await this.#devices.stop();
    try {
      this.#writes.flush();
    } catch (error) {
      this.#log.error(
        { event: 'finalFlushFailed', code: (error as { code?: string }).code },
        'pending readings not committed at stop',
      );
    }
    await this.#uplink?.stop();
    this.#stopped = false;
    this.#writeStatus();
    this.#stopped = true;
    this.#queue.close();
    this.#log.info({ event: 'agentStopped' }, 'agent stopped');
  }
}
