import { CONTEC_V46_START } from '../serial/contec-v46-commands.js';
import { createPortStream } from '../serial/port-stream.js';
import { SERIAL_PROTOCOLS } from '../serial/protocols.js';
import type { SerialDriverName } from '../types.js';
import { noninFrameFor } from './nonin-frames.js';
import { contecLive5FrameFor, contecV46FrameFor } from './oximeter-frames.js';
import { createPtyPair } from './pty-pair.js';
import { type ScenarioName, type SimulatedVitals, vitalsAt } from './scenarios.js';

/** Options of {@link startSerialSimulator}. */
export interface SerialSimulatorOptions {
  driver: SerialDriverName;
  scenario: ScenarioName;
  /** Milliseconds between frames (default: the device's own rate, 60 or 75 frames/s). */
  intervalMs?: number;
  /** Scenario seconds per wall-clock second (default 1); tests run scenarios faster. */
  speed?: number;
}

/** A running serial simulator. */
export interface SerialSimulator {
  /** The pseudo-terminal the agent opens. */
  path: string;
  stop(): Promise<void>;
}

interface DeviceModel {
  hz: number;
  frameFor(v: SimulatedVitals, n: number): Uint8Array;
  /** Streams only after the start command, and stops when keep-alives stop. */
  needsStart: boolean;
}

const MODELS: Record<SerialDriverName, DeviceModel> = {
  'contec-cms50d': { hz: 60, frameFor: contecLive5FrameFor, needsStart: false },
  'contec-cms50d-v46': { hz: 60, frameFor: contecV46FrameFor, needsStart: true },
  'nonin-format2': { hz: 75, frameFor: noninFrameFor, needsStart: false },
};

/** How long a v4.6 device streams after the last command it received. */
const COMMAND_TIMEOUT_MS = 15_000;

/**
 * Starts a simulated serial device on a pseudo-terminal pair made by socat, writing the
 * device's real bytes (and, for firmware that needs it, waiting for the start command).
 *
 * @example
 * ```ts
 * const sim = await startSerialSimulator({ driver: 'contec-cms50d', scenario: 'desaturation' });
 * const source = openDevice({ id: 'ox-1', driver: 'contec-cms50d', path: sim.path });
 * ```
 */
export async function startSerialSimulator(
  options: SerialSimulatorOptions,
): Promise<SerialSimulator> {
  const model = MODELS[options.driver];
  const speed = options.speed ?? 1;
  const intervalMs = options.intervalMs ?? 1000 / (model?.hz ?? 60);
  if (!model) {
    throw new TypeError(`"driver" must be one of ${Object.keys(MODELS).join(', ')}`);
  }
  if (!(intervalMs > 0) || !(speed > 0)) {
    throw new TypeError('"intervalMs" and "speed" must be > 0');
  }

  const pair = await createPtyPair();
  const { settings } = SERIAL_PROTOCOLS[options.driver];
  const port = createPortStream({ path: pair.devicePath, ...settings, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const started = Date.now();
  let lastCommandAt = model.needsStart ? -Infinity : Infinity;
  let heard = new Uint8Array(0);
  port.on('data', (chunk: Buffer) => {
    heard = Uint8Array.from([...heard.slice(-16), ...chunk]);
    if (Buffer.from(heard).includes(Buffer.from(CONTEC_V46_START.subarray(0, 2)))) {
      lastCommandAt = Date.now();
    }
  });
  port.on('error', () => undefined);

  let sent = 0;
  const timer = setInterval(
    () => {
      const now = Date.now();
      const due = Math.floor((now - started) / intervalMs);
      const streaming = now - lastCommandAt < COMMAND_TIMEOUT_MS;
      const chunks: Uint8Array[] = [];
      for (; sent < due; sent++) {
        const t = ((sent * intervalMs) / 1000) * speed;
        const frame = model.frameFor(vitalsAt(options.scenario, t), sent);
        if (streaming) {
          chunks.push(frame);
        }
        if (options.scenario === 'flaky-link' && sent % 97 === 50) {
          chunks.push(Uint8Array.of(0x00, 0x7f, 0x13, 0x00, 0x55));
        }
      }
      if (chunks.length > 0 && port.isOpen) {
        port.write(Buffer.concat(chunks));
      }
    },
    Math.max(10, Math.min(50, intervalMs)),
  );

  return {
    path: pair.agentPath,
    async stop() {
      clearInterval(timer);
      if (port.isOpen) {
        await new Promise<void>((resolve) => port.close(() => resolve()));
      }
      await pair.close();
    },
  };
}
