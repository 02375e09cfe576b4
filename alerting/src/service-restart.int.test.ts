import {
  agentTopic,
  createObservation,
  openJson,
  parseMessage,
  sealJson,
  type Ack,
  type AgentConfigPush,
} from '@sparkden/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { enrollTestAgent, type TestAgent } from './fleet/index.js';
import { createAlertingService, type AlertingService } from './service.js';

const dataDir = await mkdtemp(join(tmpdir(), 'sd-restart-'));
const logger = pino({ enabled: false });

function start(): Promise<AlertingService> {
  return createAlertingService({ dataDir, mqtt: { port: 0, host: '127.0.0.1' }, logger });
}

async function connect(service: AlertingService, agent: TestAgent) {
  const port = (await service.start()).mqtt.tls;
  const client: MqttClient = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clientId: agent.agentId,
    key: agent.keyPem,
    cert: agent.certPem,
    ca: agent.caPem,
  });
  const inbox: Array<{ kind: string; value: unknown }> = [];
  const waiting: Array<() => void> = [];
  client.on('message', (topic, payload) => {
    const kind = topic.endsWith('/ack') ? 'ack' : 'config';
    const { value } = openJson(payload, {
      key: () => agent.sealingKey,
      agentId: agent.agentId,
      kind: kind,
    });
    inbox.push({ kind, value });
    waiting.shift()?.();
  });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'ack'), { qos: 1 });
  await client.subscribeAsync(agentTopic(agent.agentId, 'down', 'config'), { qos: 1 });
  const next = async (kind: string) => {
    for (;;) {
      const i = inbox.findIndex((m) => m.kind === kind);
      if (i >= 0) {
        return inbox.splice(i, 1)[0].value;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  return { client, next };
}

test('embedded PGlite: a second start reuses the CA, the agents, the data and the config', async () => {
  const observation = createObservation({
    patient: 'p-r1',
    device: { id: 'ox-9', transport: 'simulated' },
    code: 'spo2',
    value: 96,
  });
  let service = await start();
  const caPem = service.pki.ca.pem;
  const agent = await enrollTestAgent(service.fleet);
  const body = {
    agentId: agent.agentId,
    seq: 1,
    sentAt: new Date().toISOString(),
    observations: [observation],
  };
  const frame = sealJson(
    { kind: 'obs', keyId: agent.keyId, agentId: agent.agentId, seq: 1n },
    body,
    agent.sealingKey,
  );

  const first = await connect(service, agent);
  await first.client.publishAsync(agentTopic(agent.agentId, 'up', 'obs'), Buffer.from(frame), {
    qos: 1,
  });
  const ack1: Ack = parseMessage('ack', await first.next('ack'));
  assert.equal([ack1.stored, ack1.duplicates], [1, 0]);
  await service.fleet.setConfig(agent.agentId, { cadenceSeconds: 30 }, 'it-1');
  const pushed: AgentConfigPush = parseMessage('config', await first.next('config'));
  assert.equal([pushed.version, pushed.config], [1, { cadenceSeconds: 30 }]);
  first.client.end(true);
  await service.stop();

  service = await start();
  try {
    assert.is(service.pki.ca.pem, caPem, 'the development CA is reused');
    const second = await connect(service, agent);
    const retained: AgentConfigPush = parseMessage('config', await second.next('config'));
    assert.is(retained.version, 1, 'the config is pushed again, retained, after a restart');
    await second.client.publishAsync(agentTopic(agent.agentId, 'up', 'obs'), Buffer.from(frame), {
      qos: 1,
    });
    const ack2: Ack = parseMessage('ack', await second.next('ack'));
    assert.equal([ack2.stored, ack2.duplicates], [0, 1], 'the stored reading survived the restart');
    second.client.end(true);
  } finally {
    await service.stop();
  }
});

test.after(() => rm(dataDir, { recursive: true, force: true }));

test.run();
