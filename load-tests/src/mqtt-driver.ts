/**
 * The MQTT load generator of the ingest bench, run as a child process (see
 * {@link startDriver}) so that the clients' work (MQTT.js, TLS) lands on neither broker's
 * process: the hub runs in the bench's own process, Mosquitto in its own.
 *
 * Each connection publishes its frames QoS 1 to `publishTopic`, keeping at most `window`
 * without a reply; a reply is one message on `replyTopic`: the hub's sealed `down/ack`
 * (opened and checked here), or Mosquitto echoing the frame back to its sender, which
 * subscribes QoS 1 to the topic it publishes on.
 */
import { ackSchema, openJson } from '@sparkden/protocol';
import mqtt from 'mqtt';

import { forkChild, isForkedEntry, serveParent } from './child-ipc.js';

/** One client connection of the driver. */
export interface DriverTarget {
  url: string;
  clientId: string;
  /** Mutual TLS credentials, for `mqtts:` URLs. */
  tls?: { key: string; cert: string; ca: string };
  publishTopic: string;
  replyTopic: string;
  /** Replies are the hub's sealed acks, opened with this agent's key. */
  sealed?: { agentId: string; sealingKey: Uint8Array };
}

/** What one run of frames came to. */
export interface DriverRun {
  /** From the first publish to the last reply. */
  ms: number;
  replies: number;
  /** From the hub's acks: rows newly stored, duplicates, rejected readings. */
  stored: number;
  duplicates: number;
  rejected: number;
}

type Request =
  | { op: 'connect'; group: string; targets: DriverTarget[] }
  | { op: 'run'; group: string; frames: Uint8Array[][]; window: number; timeoutMs: number };

/** The driver process, seen from the bench. */
export interface Driver {
  /** Connects (and subscribes) a named group of clients. */
  connect(group: string, targets: DriverTarget[]): Promise<void>;
  /** Sends `frames[i]` on the group's i-th client; resolves when every frame has a reply. */
  run(
    group: string,
    frames: Uint8Array[][],
    window: number,
    timeoutMs?: number,
  ): Promise<DriverRun>;
  /** Disconnects every client and ends the process. */
  close(): Promise<void>;
}

/** Forks the driver (this file). */
export function startDriver(): Driver {
  const child = forkChild<Request>(import.meta.url);

  return {
    async connect(group, targets) {
      await child.ask({ op: 'connect', group, targets });
    },
    run(group, frames, window, timeoutMs = 120_000) {
      return child.ask<DriverRun>({ op: 'run', group, frames, window, timeoutMs });
    },
    close: () => child.close(),
  };
}

// ---- the child's side ----

interface Connection {
  target: DriverTarget;
  client: mqtt.MqttClient;
  /** The broker closed it (say, another session took the client id over). */
  closed: boolean;
  /** Set while a run is going on: called once per reply. */
  onReply?: (ack?: { stored: number; duplicates: number; rejected: number }) => void;
}

const groups = new Map<string, Connection[]>();

async function connectTarget(target: DriverTarget): Promise<Connection> {
  const client = await mqtt.connectAsync(target.url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    clientId: target.clientId,
    ...(target.tls ?? {}),
  });
  const connection: Connection = { target, client, closed: false };
  client.on('close', () => (connection.closed = true));
  client.on('message', (topic, payload) => {
    if (topic !== target.replyTopic) {
      return;
    }
    const sealed = target.sealed;
    if (sealed === undefined) {
      connection.onReply?.();

      return;
    }
    const { value } = openJson(payload, {
      key: () => sealed.sealingKey,
      agentId: sealed.agentId,
      kind: 'ack',
    });
    const ack = ackSchema.parse(value);
    connection.onReply?.({
      stored: ack.stored,
      duplicates: ack.duplicates,
      rejected: ack.rejected.length,
    });
  });
  await client.subscribeAsync(target.replyTopic, { qos: 1 });

  return connection;
}

function pump(c: Connection, frames: Uint8Array[], window: number, run: DriverRun) {
  let onClose: () => void = () => undefined;

  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let replied = 0;
    const publish = () => {
      const frame = frames[next++];
      if (frame !== undefined) {
        c.client.publish(c.target.publishTopic, Buffer.from(frame), { qos: 1 }, (error) => {
          if (error) {
            reject(error);
          }
        });
      }
    };
    onClose = () => reject(new Error(`${c.target.clientId} disconnected`));
    c.client.once('close', onClose);
    c.onReply = (ack) => {
      replied++;
      run.replies++;
      run.stored += ack?.stored ?? 0;
      run.duplicates += ack?.duplicates ?? 0;
      run.rejected += ack?.rejected ?? 0;
      if (replied === frames.length) {
        c.onReply = undefined;
        resolve();
      } else {
        publish();
      }
    };
    if (frames.length === 0) {
      resolve();
    }
    for (let i = 0; i < Math.min(window, frames.length); i++) {
      publish();
    }
  }).finally(() => c.client.off('close', onClose));
}

async function runGroup(request: Extract<Request, { op: 'run' }>): Promise<DriverRun> {
  const connections = groups.get(request.group);
  if (connections === undefined || connections.length !== request.frames.length) {
    throw new TypeError(`"frames" must hold one list per client of "${request.group}"`);
  }
  const closed = connections.find((c) => c.closed);
  if (closed !== undefined) {
    throw new Error(`${request.group}: ${closed.target.clientId} was disconnected`);
  }
  const run: DriverRun = { ms: 0, replies: 0, stored: 0, duplicates: 0, rejected: 0 };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const sent = request.frames.reduce((n, f) => n + f.length, 0);
      reject(new Error(`${request.group}: ${run.replies}/${sent} replies after timeout`));
    }, request.timeoutMs);
  });

  const started = performance.now();
  try {
    await Promise.race([
      Promise.all(connections.map((c, i) => pump(c, request.frames[i] ?? [], request.window, run))),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
  run.ms = performance.now() - started;

  return run;
}

async function handle(request: Request): Promise<DriverRun | undefined> {
  switch (request.op) {
    case 'connect':
      groups.set(request.group, await Promise.all(request.targets.map(connectTarget)));

      return undefined;
    case 'run':
      return runGroup(request);
  }
}

if (isForkedEntry(import.meta.url)) {
  serveParent(handle, async () => {
    await Promise.all([...groups.values()].flat().map((c) => c.client.endAsync()));
  });
}
