import { hkdfSync } from 'node:crypto';
import { watch, type FSWatcher, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import type {
  DeviceAlarm,
  DeviceState,
  DriverReading,
  Hl7Delivery,
  Hl7Verdict,
} from '@sparkden/device-drivers';
import {
  createObservation,
  openJson,
  sealJson,
  type AgentConfigPush,
  type AgentStatus,
  type Observation,
} from '@sparkden/protocol';

import { LocalAlarms, type AlarmEntry } from './alarms/local-alarms.js';
import { ClockSkew } from './clock-skew.js';
import { loadConfig } from './config/load-config.js';
import {
  parsePushedConfig,
  patientForSubject,
  type AgentConfig,
  type DeviceConfig,
} from './config/schema.js';
import { adoptSealingKey, splitSealingKey } from './enroll/sealing-key-rotation.js';
import { InvalidStateError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { GroupCommit } from './queue/group-commit.js';
import { SealedQueue } from './queue/sealed-queue.js';
import { SeqCounter } from './queue/seq-counter.js';
import type { SourceMeta } from './sources/ndjson-file-source.js';
import { deviceRefOf, openSource, type AgentSource } from './sources/open-source.js';
import {
  STATE_FILES,
  ensureStateDir,
  loadCredentials,
  writeFileAtomic,
  type Credentials,
} from './state-dir.js';
import type { AgentProblem, LocalStatus } from './status.js';
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

interface RunningDevice {
  config: DeviceConfig;
  source?: AgentSource;
  state: DeviceState | 'disabled';
  lastReadingAt?: string;
  error?: string;
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
  #seq!: SeqCounter;
  #queue!: SealedQueue;
  #uplink?: Uplink;
  #skew = new ClockSkew();
  #alarms: LocalAlarms;
  #devices = new Map<string, RunningDevice>();
  #writes!: GroupCommit;
  #statusTimer?: NodeJS.Timeout;
  #watcher?: FSWatcher;
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
    // The queue key is the agent's own: hub key rotation never strands queued records.
    this.#atRestKey = new Uint8Array(
      hkdfSync('sha256', c.sealingPrivateKey, 'sparkden/v1/queue-at-rest', c.agentId, 32),
    );
    this.#seq = new SeqCounter({ path: join(dir, 'seq') });
    this.#loadPushedConfig();
    this.#openQueue();
    this.#startUplink();
    this.#applyDevices();
    this.#writes.start(() => this.#config.queue.flushMs);
    this.#statusTimer = setInterval(
      () => this.#writeStatus(),
      Math.min(5000, this.#config.uplink.heartbeatSeconds * 1000),
    );
    this.#statusTimer.unref();
    if (this.#watchConfig && this.#configFile !== undefined) {
      this.#watchFile(this.#configFile);
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
      agentId: this.#credentials.agentId,
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
        for (const running of this.#devices.values()) {
          running.source?.setPaused?.(paused);
        }
      },
      onDiskFull: (full) => this.#onDiskFull(full),
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

  // ——— devices ———

  #applyDevices(): void {
    const wanted = new Map(this.#config.devices.map((d) => [d.id, d]));
    for (const [id, running] of this.#devices) {
      const next = wanted.get(id);
      if (next === undefined || JSON.stringify(next) !== JSON.stringify(running.config)) {
        void this.#stopDevice(running);
        this.#devices.delete(id);
        // A reconfigured device may be another box behind the same id: measure it afresh.
        this.#skew.forgetDevice(id);
      }
    }
    for (const device of wanted.values()) {
      if (!this.#devices.has(device.id)) {
        this.#startDevice(device);
      }
    }
  }

  #startDevice(device: DeviceConfig): void {
    const running: RunningDevice = {
      config: device,
      state: device.enabled ? 'connecting' : 'disabled',
    };
    this.#devices.set(device.id, running);
    if (!device.enabled) {
      return;
    }
    const log = this.#log.child({
      module: 'edge-agent:device',
      deviceId: device.id,
      driver: device.driver,
    });
    const failed = (event: string, fallback: string) => (error: unknown) => {
      running.state = 'error';
      running.error = (error as { code?: string }).code ?? fallback;
      log.error(
        { event, code: running.error, err: (error as Error).message },
        'device could not be started',
      );
    };
    openSource(device, this.#queue.getCursor(`device:${device.id}`))
      .then((source) => {
        if (this.#stopped || this.#devices.get(device.id) !== running) {
          return source.stop();
        }
        running.source = source;
        this.#wire(running, source, log);

        return source.start().catch(failed('deviceStartFailed', 'START_FAILED'));
      })
      .catch(failed('deviceOpenFailed', 'OPEN_FAILED'));
  }

  #wire(running: RunningDevice, source: AgentSource, log: Logger): void {
    const device = running.config;
    source.on('reading', (reading, meta) => this.#accept(running, reading, meta));
    // HL7: the monitor's ACK waits until its readings are committed (or refused).
    const mllp = source as { setAcceptor?(accept: (d: Hl7Delivery) => Hl7Verdict): void };
    mllp.setAcceptor?.((delivery) => this.#acceptHl7(running, delivery));
    source.on('skipped', (meta) => this.#advanceCursor(device.id, meta));
    source.on('state', (state) => {
      running.state = state;
      log.info({ event: 'deviceState', state }, 'device state changed');
    });
    source.on('error', (error: Error & { code?: string }) => {
      running.error = error.code ?? 'DRIVER_ERROR';
      log.warn(
        { event: 'deviceError', code: running.error },
        'device sent data that could not be used',
      );
    });
    source.on('alarm', (alarm) => this.#onDeviceAlarm(running, alarm));
  }

  async #stopDevice(running: RunningDevice): Promise<void> {
    running.source?.removeAllListeners();
    await running.source?.stop().catch(() => undefined);
  }

  #advanceCursor(deviceId: string, meta: SourceMeta | undefined): void {
    if (meta?.cursor !== undefined) {
      this.#writes.setCursor(`device:${deviceId}`, meta.cursor);
    }
  }

  #accept(
    running: RunningDevice,
    reading: DriverReading,
    meta: SourceMeta | undefined,
  ): Observation | undefined {
    const device = running.config;
    // Never file a reading under a patient its device did not name (HL7 PID-3).
    const bound = patientForSubject(device, reading.subject);
    if (!('patient' in bound)) {
      this.#counters.invalid++;

      return undefined;
    }
    const receivedAt = new Date();
    const deviceTime =
      reading.deviceTime instanceof Date && !Number.isNaN(reading.deviceTime.getTime())
        ? reading.deviceTime
        : undefined;
    const origin = meta?.origin ?? device.clock;
    const placed = this.#skew.correct(device.id, deviceTime, receivedAt, origin);
    const { effectiveAt, corrected } = placed;
    const quality = [...(reading.quality ?? [])];
    if (corrected && !quality.includes('skew-corrected')) {
      quality.push('skew-corrected');
    }
    this.#advanceCursor(device.id, meta);
    let obs: Observation;
    try {
      obs = createObservation({
        ...reading,
        id: meta?.id,
        patient: bound.patient,
        device: deviceRefOf(device),
        deviceTime,
        effectiveAt,
        receivedAt,
        quality,
        context: reading.glucoseContext,
      });
    } catch (error) {
      this.#counters.invalid++;
      this.#log.warn(
        { event: 'readingInvalid', deviceId: device.id, code: (error as { code?: string }).code },
        'reading rejected before queueing',
      );

      return undefined;
    }
    running.lastReadingAt = receivedAt.toISOString();
    this.#counters.accepted++;
    const alarms = this.#alarms.evaluate(obs);
    if (alarms.length > 0) {
      this.#writes.pushUrgent(obs);
      this.#raise(alarms);
    } else {
      this.#writes.pushObs(obs);
    }
    this.#writes.limit();

    return obs;
  }

  /**
   * One HL7 message: refused (AE, HL7 error 204) when its PID-3 names no patient of this
   * device; otherwise its readings are committed to the queue before the ACK, and answered
   * AE when the commit fails (they are then dropped from memory: the monitor sends again).
   */
  #acceptHl7(running: RunningDevice, delivery: Hl7Delivery): Hl7Verdict {
    const deviceId = running.config.id;
    const bound = patientForSubject(running.config, delivery.subject);
    if (!('patient' in bound)) {
      this.#counters.invalid += delivery.readings.length;
      this.#log.warn(
        { event: 'hl7PatientUnmapped', deviceId, controlId: delivery.controlId },
        'HL7 message refused: its PID-3 names no patient of this device',
      );

      return { code: 'AE', reason: bound.reason, hl7Error: '204' };
    }
    const mine = new Set(delivery.readings.map((r) => this.#accept(running, r, undefined)));
    let committed = false;
    try {
      committed = this.#writes.flush();
    } catch (error) {
      this.#log.error(
        { event: 'hl7CommitFailed', deviceId, code: (error as { code?: string }).code },
        'HL7 readings not committed; answering AE',
      );
    }
    if (!committed) {
      this.#writes.discard(mine);

      return { code: 'AE', reason: 'readings not stored; send again', hl7Error: '207' };
    }

    return undefined;
  }

  #onDeviceAlarm(running: RunningDevice, alarm: DeviceAlarm): void {
    this.#raise([
      {
        id: crypto.randomUUID(),
        patient: running.config.patient,
        deviceId: running.config.id,
        kind: 'device',
        severity: alarm.active ? 'warning' : 'info',
        code: alarm.code.slice(0, 64),
        reason: alarm.active ? 'device-alarm-active' : 'device-alarm-cleared',
        raisedAt: this.#skew.hubNow().toISOString(),
      },
    ]);
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
    const file = join(this.#config.stateDir, STATE_FILES.pushedConfig);
    if (!existsSync(file)) {
      return;
    }
    try {
      const { value } = openJson(readFileSync(file), {
        key: () => this.#atRestKey,
        kind: 'config',
      });
      const push = value as AgentConfigPush;
      const parsed = parsePushedConfig(splitSealingKey(push.config).rest);
      if (!parsed.success) {
        throw parsed.error;
      }
      this.#config = { ...this.#fileConfig, ...parsed.data };
      this.#configVersion = push.version;
    } catch (error) {
      this.#log.warn(
        { event: 'pushedConfigUnreadable', code: (error as { code?: string }).code },
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
      const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
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
    const frame = sealJson(
      { kind: 'config', keyId: 0, agentId: this.agentId, seq: BigInt(push.version) },
      push,
      this.#atRestKey,
    );
    writeFileAtomic(join(this.#config.stateDir, STATE_FILES.pushedConfig), frame);
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
    if (this.#configFile === undefined) {
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
      const file = join(this.#config.stateDir, STATE_FILES.pushedConfig);
      const { value } = openJson(readFileSync(file), {
        key: () => this.#atRestKey,
        kind: 'config',
      });

      const parsed = parsePushedConfig(splitSealingKey((value as AgentConfigPush).config).rest);

      return parsed.success ? parsed.data : {};
    } catch {
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
    this.#applyDevices();
  }

  #watchFile(file: string): void {
    let timer: NodeJS.Timeout | undefined;
    try {
      this.#watcher = watch(file, () => {
        clearTimeout(timer);
        // Editors write in several steps; settle before reading.
        timer = setTimeout(() => this.reload(), 200);
      });
      this.#watcher.on('error', () => undefined);
    } catch (error) {
      this.#log.warn(
        { event: 'configWatchFailed', err: (error as Error).message },
        'config file not watched; use SIGHUP',
      );
    }
  }

  // ——— status ———

  #buildStatus(state: AgentStatus['state']): LocalStatus {
    const q = this.#queue.stats();
    const problems = [...this.#problems.values()];
    const link = this.#link.state;
    let shown: AgentStatus['state'] = state;
    if (link === 'revoked') {
      shown = 'revoked';
    } else if (state === 'online' && problems.length > 0) {
      shown = 'degraded';
    }
    const devices = [...this.#devices.values()].map((d) => ({
      id: d.config.id,
      driver: d.config.driver,
      state: d.state,
      ...(d.lastReadingAt === undefined ? {} : { lastReadingAt: d.lastReadingAt }),
      ...(d.error === undefined ? {} : { error: d.error.slice(0, 256) }),
    }));

    return {
      agentId: this.#credentials.agentId,
      state: shown,
      sentAt: new Date().toISOString(),
      version: AGENT_VERSION,
      queue: { depth: q.depth, bytes: q.bytes, oldestAgeMs: q.oldestAgeMs, alarms: q.alarms },
      devices,
      ...(this.#configVersion === undefined ? {} : { configVersion: this.#configVersion }),
      pid: process.pid,
      sealingKeyId: this.#credentials.keyId,
      link,
      ...(this.#link.detail === undefined ? {} : { linkDetail: this.#link.detail }),
      problems,
      queueDetail: {
        records: q.records,
        dropped: q.dropped,
        quarantined: q.quarantined,
        pendingInMemory: this.#writes.size,
        batchTarget: this.#uplink?.batchTarget ?? 0,
      },
      skew: {
        hubOffsetMs: this.#skew.hubOffsetMs,
        devices: Object.fromEntries(
          [...this.#devices.keys()].map((id) => [id, this.#skew.deviceOffsetMs(id)]),
        ),
      },
      localAlarmsRaised: this.#counters.localAlarms,
      readingsAccepted: this.#counters.accepted,
      readingsInvalid: this.#counters.invalid,
    };
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
    await Promise.all([...this.#devices.values()].map((d) => this.#stopDevice(d)));
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
