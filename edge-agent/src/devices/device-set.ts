import type {
  DeviceAlarm,
  DeviceState,
  DriverReading,
  Hl7Delivery,
  Hl7Verdict,
} from '@sparkden/device-drivers';
import { createObservation, type AgentStatus, type Observation } from '@sparkden/protocol';

import type { AlarmEntry, LocalAlarms } from '../alarms/local-alarms.js';
import type { ClockSkew } from '../clock-skew.js';
import { patientForSubject, type DeviceConfig } from '../config/schema.js';
import { codeOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { GroupCommit } from '../queue/group-commit.js';
import { mqttClientId } from '../sources/mqtt-client-id.js';
import type { SourceMeta } from '../sources/ndjson-file-source.js';
import { deviceRefOf, openSource, type AgentSource } from '../sources/open-source.js';

/** Options of {@link DeviceSet}. */
export interface DeviceSetOptions {
  /** The agent's logger; each device logs through a child of it. */
  log: Logger;
  agentId: string;
  writes: GroupCommit;
  skew: ClockSkew;
  alarms: LocalAlarms;
  /** The committed position of a resumable source (`device:<id>`). */
  getCursor(source: string): string | undefined;
  /** Alarms a reading or a device raised; the agent raises them locally and queues them. */
  raise(alarms: AlarmEntry[]): void;
  /** Readings refused before queueing (no patient, not a valid observation). */
  onInvalid(count: number): void;
}

/** What the agent hands an MQTT source that can acknowledge after commit. */
interface DurableMqtt {
  clientId: string;
  resume?: string;
  take(readings: DriverReading[], taken: () => void, cursor: string): void;
}

interface RunningDevice {
  config: DeviceConfig;
  source?: AgentSource;
  state: DeviceState | 'disabled';
  lastReadingAt?: string;
  error?: string;
}

/**
 * The agent's running devices: opens each configured source, turns its readings into
 * observations on the hub's clock (bound to the patient the device names), evaluates the
 * local alarm rules and holds the result for the group commit. A source that can wait for
 * the commit (an MQTT QoS 1 message, an HL7 ACK) is answered only once it is written.
 *
 * @example
 * ```ts
 * const devices = new DeviceSet({ log, agentId, writes, skew, alarms, getCursor, raise, onInvalid });
 * devices.apply(config.devices);
 * ```
 */
export class DeviceSet {
  #options: DeviceSetOptions;
  #devices = new Map<string, RunningDevice>();
  #stopped = false;

  constructor(options: DeviceSetOptions) {
    this.#options = options;
  }

  /** How many devices are configured (enabled or not). */
  get size(): number {
    return this.#devices.size;
  }

  /** The ids of the configured devices. */
  ids(): string[] {
    return [...this.#devices.keys()];
  }

  /** Each device as the status shows it. */
  describe(): AgentStatus['devices'] {
    return [...this.#devices.values()].map((d) => ({
      id: d.config.id,
      driver: d.config.driver,
      state: d.state,
      ...(d.lastReadingAt === undefined ? {} : { lastReadingAt: d.lastReadingAt }),
      ...(d.error === undefined ? {} : { error: d.error.slice(0, 256) }),
    }));
  }

  /** Sources that can pause hold (`true`) or resume. */
  setPaused(paused: boolean): void {
    for (const running of this.#devices.values()) {
      running.source?.setPaused?.(paused);
    }
  }

  /** Stops every device; sources still opening are stopped as they open. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#devices.values()].map((d) => this.#stopDevice(d)));
  }

  /** Starts, restarts (changed config) and stops devices so the running set is `devices`. */
  apply(devices: readonly DeviceConfig[]): void {
    const wanted = new Map(devices.map((d) => [d.id, d]));
    for (const [id, running] of this.#devices) {
      const next = wanted.get(id);
      if (next === undefined || JSON.stringify(next) !== JSON.stringify(running.config)) {
        void this.#stopDevice(running);
        this.#devices.delete(id);
        // A reconfigured device may be another box behind the same id: measure it afresh.
        this.#options.skew.forgetDevice(id);
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
    const log = this.#options.log.child({
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
    openSource(device, this.#options.getCursor(`device:${device.id}`))
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
    // MQTT: the broker's message is acknowledged only once its readings are committed.
    const mqtt = source as { setDurable?(options: DurableMqtt): void };
    mqtt.setDurable?.({
      clientId: mqttClientId(this.#options.agentId, device.id),
      resume: this.#options.getCursor(`device:${device.id}`),
      take: (readings, taken, cursor) => this.#takeMessage(running, readings, taken, cursor),
    });
    // HL7: the monitor's ACK waits until its readings are committed (or refused).
    const mllp = source as { setAcceptor?(accept: (d: Hl7Delivery) => Hl7Verdict): void };
    mllp.setAcceptor?.((delivery) => this.#acceptHl7(running, delivery));
    source.on('skipped', (meta) => this.#advanceCursor(device.id, meta));
    source.on('state', (state) => {
      // Some sources repeat their state (a followed file on every poll): log changes only.
      if (running.state === state) {
        return;
      }
      running.state = state;
      log.info({ event: 'deviceState', state }, 'device state changed');
    });
    // The count and the reason only: the withheld values are not the patient's, nor logged.
    source.on('readingsWithheld', ({ reason, count }) => {
      log.info({ event: 'readingsWithheld', reason, count }, 'device values withheld');
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
    try {
      await running.source?.stop();
    } catch (error) {
      this.#options.log.warn(
        { event: 'deviceStopFailed', deviceId: running.config.id, code: codeOf(error) },
        'device did not stop cleanly',
      );
    }
  }

  #advanceCursor(deviceId: string, meta: SourceMeta | undefined): void {
    if (meta?.cursor !== undefined) {
      this.#options.writes.setCursor(`device:${deviceId}`, meta.cursor);
    }
  }

  /** One MQTT message: `taken` once all its readings are committed (or refused for good). */
  #takeMessage(
    running: RunningDevice,
    readings: DriverReading[],
    taken: () => void,
    cursor: string,
  ): void {
    let left = readings.length + 1;
    const done = () => {
      if (--left === 0) {
        taken();
      }
    };
    this.#advanceCursor(running.config.id, { cursor });
    for (const reading of readings) {
      if (this.#accept(running, reading, { cursor }, done) === undefined) {
        done();
      }
    }
    done();
  }

  #accept(
    running: RunningDevice,
    reading: DriverReading,
    meta: SourceMeta | undefined,
    taken?: () => void,
  ): Observation | undefined {
    const device = running.config;
    // Never file a reading under a patient its device did not name (HL7 PID-3).
    const bound = patientForSubject(device, reading.subject);
    if (!('patient' in bound)) {
      this.#options.onInvalid(1);

      return undefined;
    }
    const receivedAt = new Date();
    const deviceTime =
      reading.deviceTime instanceof Date && !Number.isNaN(reading.deviceTime.getTime())
        ? reading.deviceTime
        : undefined;
    const origin = meta?.origin ?? device.clock;
    const placed = this.#options.skew.correct(device.id, deviceTime, receivedAt, origin);
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
      this.#options.onInvalid(1);
      this.#options.log.warn(
        { event: 'readingInvalid', deviceId: device.id, code: (error as { code?: string }).code },
        'reading rejected before queueing',
      );

      return undefined;
    }
    running.lastReadingAt = receivedAt.toISOString();
    const alarms = this.#options.alarms.evaluate(obs);
    if (alarms.length > 0) {
      this.#options.writes.pushUrgent(obs, taken);
      this.#options.raise(alarms);
    } else {
      this.#options.writes.pushObs(obs, taken);
    }
    this.#options.writes.limit();

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
      this.#options.onInvalid(delivery.readings.length);
      this.#options.log.warn(
        { event: 'hl7PatientUnmapped', deviceId, controlId: delivery.controlId },
        'HL7 message refused: its PID-3 names no patient of this device',
      );

      return { code: 'AE', reason: bound.reason, hl7Error: '204' };
    }
    const mine = new Set(delivery.readings.map((r) => this.#accept(running, r, undefined)));
    let committed = false;
    try {
      committed = this.#options.writes.flush();
    } catch (error) {
      this.#options.log.error(
        { event: 'hl7CommitFailed', deviceId, code: (error as { code?: string }).code },
        'HL7 readings not committed; answering AE',
      );
    }
    if (!committed) {
      this.#options.writes.discard(mine);

      return { code: 'AE', reason: 'readings not stored; send again', hl7Error: '207' };
    }

    return undefined;
  }

  #onDeviceAlarm(running: RunningDevice, alarm: DeviceAlarm): void {
    this.#options.raise([
      {
        id: crypto.randomUUID(),
        patient: running.config.patient,
        deviceId: running.config.id,
        kind: 'device',
        severity: alarm.active ? 'warning' : 'info',
        code: alarm.code.slice(0, 64),
        reason: alarm.active ? 'device-alarm-active' : 'device-alarm-cleared',
        raisedAt: this.#options.skew.hubNow().toISOString(),
      },
    ]);
  }
}
