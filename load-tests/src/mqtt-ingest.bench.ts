/**
 * MQTT ingest through the hub, beside Mosquitto on loopback, in the same run.
 *
 * Ours: agents enrolled through the real token + CSR path publish sealed observation
 * batches QoS 1 over mutual TLS to the hub's aedes broker; the hub opens each envelope,
 * validates every reading, commits it to `vitals.observation` on the real PostgreSQL
 * server, hands it to the rule engine and only then sends the sealed `down/ack` that lets
 * the agent publish the next batch. The peer: the very same sealed bytes published QoS 1 to
 * Mosquitto (127.0.0.1:1883, plain MQTT 3.1.1) by one client per agent, with a second client
 * subscribed QoS 1; an agent publishes its next batch when the subscriber has received one
 * of its earlier ones, so both sides keep the same window in flight end to end.
 *
 * Offered load, the same on both sides: 4 agents × 40 batches × 200 readings, 4 batches in
 * flight per agent; one warm-up batch per agent first.
 */
import { randomBytes } from 'node:crypto';

import { agentTopic, type Observation } from '@sparkden/protocol';
import mqtt from 'mqtt';

import {
  connectAgent,
  enrollAgents,
  makeReadings,
  packageVersion,
  sealBatch,
  serverVersion,
  startBenchHub,
} from './hub-load.js';

const AGENTS = 4;
const BATCH = 200;
const BATCHES = 40;
const WINDOW = 4;
const MOSQUITTO_URL = process.env.SD_BENCH_MOSQUITTO ?? 'mqtt://127.0.0.1:1883';

const hub = await startBenchHub();
const agents = await enrollAgents(hub, AGENTS);

// Sealing is the agent's work, done before any clock starts; both sides send these bytes.
const work = agents.map((agent) => {
  const batches: Observation[][] = [];
  for (let b = 0; b <= BATCHES; b++) {
    batches.push(makeReadings(agent.agentId, b * BATCH, BATCH));
  }
  const frames = batches.map((obs, i) => sealBatch(agent, i + 1, obs));

  return { agent, warmup: frames.slice(0, 1), frames: frames.slice(1) };
});
const readings = AGENTS * BATCHES * BATCH;
const bytes = work.reduce((n, w) => n + w.frames.reduce((m, f) => m + f.length, 0), 0);

async function runHub(): Promise<number> {
  const clients = await Promise.all(agents.map((a) => connectAgent(hub, a)));
  await Promise.all(clients.map((c, i) => c.send(work[i]?.warmup ?? [], WINDOW)));
  const started = performance.now();
  const results = await Promise.all(clients.map((c, i) => c.send(work[i]?.frames ?? [], WINDOW)));
  const ms = performance.now() - started;
  await Promise.all(clients.map((c) => c.close()));
  const acked = results.reduce((n, r) => n + r.stored, 0);
  const stored = await hub.countRows();
  const expected = readings + AGENTS * BATCH;
  if (acked !== readings || stored !== expected) {
    throw new Error(`hub: acked ${acked}/${readings}, stored ${stored}/${expected}`);
  }

  return ms;
}

async function mosquittoVersion(client: mqtt.MqttClient): Promise<string> {
  const topic = '$SYS/broker/version';
  const version = new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('mosquitto (version not published)'), 1000);
    client.on('message', (t, payload) => {
      if (t === topic) {
        clearTimeout(timer);
        resolve(payload.toString());
      }
    });
  });
  await client.subscribeAsync(topic, { qos: 0 });
  const v = await version;
  await client.unsubscribeAsync(topic);

  return v;
}

async function runMosquitto(): Promise<{ ms: number; version: string }> {
  const prefix = `sdbench/${randomBytes(4).toString('hex')}`;
  const topicOf = (agentId: string) => `${prefix}/${agentTopic(agentId, 'up', 'obs')}`;
  const subscriber = await mqtt.connectAsync(MOSQUITTO_URL, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
  });
  const version = await mosquittoVersion(subscriber);
  const onDelivery = new Map<string, () => void>();
  subscriber.on('message', (topic) => onDelivery.get(topic)?.());
  await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
  const publishers = await Promise.all(
    agents.map(() => mqtt.connectAsync(MOSQUITTO_URL, { protocolVersion: 4, reconnectPeriod: 0 })),
  );

  const pump = (i: number, frames: Uint8Array[]) =>
    new Promise<void>((resolve, reject) => {
      const agentId = agents[i]?.agentId ?? '';
      const publisher = publishers[i];
      const topic = topicOf(agentId);
      let next = 0;
      let delivered = 0;
      const publish = () => {
        const frame = frames[next++];
        if (frame !== undefined) {
          publisher?.publish(topic, Buffer.from(frame), { qos: 1 }, (error) => {
            if (error) {
              reject(error);
            }
          });
        }
      };
      onDelivery.set(topic, () => {
        delivered++;
        if (delivered === frames.length) {
          onDelivery.delete(topic);
          resolve();
        } else {
          publish();
        }
      });
      for (let k = 0; k < Math.min(WINDOW, frames.length); k++) {
        publish();
      }
    });

  await Promise.all(work.map((w, i) => pump(i, w.warmup)));
  const started = performance.now();
  await Promise.all(work.map((w, i) => pump(i, w.frames)));
  const ms = performance.now() - started;
  await Promise.all(publishers.map((p) => p.endAsync()));
  await subscriber.endAsync();

  return { ms, version };
}

try {
  const mosquitto = await runMosquitto();
  const oursMs = await runHub();
  const ours = (readings * 1000) / oursMs;
  const peer = (readings * 1000) / mosquitto.ms;
  const [aedes, mqttJs, pg] = await Promise.all([
    packageVersion('aedes'),
    packageVersion('mqtt'),
    serverVersion(hub),
  ]);
  const batches = AGENTS * BATCHES;
  console.log(
    `# aedes ${aedes}, mqtt.js ${mqttJs}, PostgreSQL ${pg}, ${mosquitto.version}; ` +
      `layout ${hub.service.store.layout}, rule engine on`,
  );
  console.log(
    `mqtt ingest ${readings} readings (${AGENTS} agents × ${BATCHES} sealed batches × ${BATCH}, ` +
      `window ${WINDOW}, ${(bytes / batches / 1024).toFixed(1)} KiB/batch):`,
  );
  console.log(
    `  ours (mTLS → aedes → unseal → validate → PostgreSQL commit → engine → sealed ack) ` +
      `${ours.toFixed(0)} readings/s (${((batches * 1000) / oursMs).toFixed(0)} batches/s)`,
  );
  console.log(
    `  mosquitto (plain, QoS 1 publish → QoS 1 subscriber) ${peer.toFixed(0)} readings/s ` +
      `(${((batches * 1000) / mosquitto.ms).toFixed(0)} batches/s)`,
  );
  console.log(`  ratio ours/mosquitto ${(ours / peer).toFixed(2)}`);
} finally {
  await hub.close();
}
