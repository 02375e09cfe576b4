import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createScratchDatabase, type ScratchDatabase } from '@sparkden/alerting';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';

import { createLogger } from './log.js';
import { startAgent, type AgentHandle } from './start-agent.js';
import { createAgentEnv, waitFor, type AgentEnv } from './test-support/agent-fixture.js';
import { HubStandIn } from './test-support/hub-stand-in.js';

// Reloading the config file of a running agent (enrolled with the stand-in hub; the uplink
// points at a port where nothing answers, since only the devices matter here).

let scratch: ScratchDatabase;
let hub: HubStandIn;
let env: AgentEnv | undefined;
let agent: AgentHandle | undefined;

test.before(async () => {
  scratch = await createScratchDatabase('sd_agent_reload');
  hub = new HubStandIn({ databaseUrl: scratch.url });
  await hub.start();
});

test.after.each(async () => {
  await agent?.stop();
  agent = undefined;
  env?.cleanup();
});

test.after(async () => {
  await hub.close();
  await scratch.drop();
});

const offline = { mqttUrl: 'mqtt://127.0.0.1:9' };

function fileDevice(id: string) {
  const path = join(env!.dir, `${id}.ndjson`);
  writeFileSync(path, '');

  return { id, driver: 'ndjson-file', patient: 'p-1', file: { path } };
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });

  return { lines, logger };
}

const deviceIds = () => agent!.status().devices.map((d) => d.id);

test('an invalid file on reload keeps the running config and logs its line and field, not the MRN', async () => {
  env = await createAgentEnv(hub, {});
  env.writeConfig({ hub: offline, devices: [fileDevice('oxi-1')] });
  const { lines, logger } = capture();
  agent = await startAgent({ configFile: env.configFile, logger, watchConfig: false });
  const monitor = {
    id: 'icu-1',
    driver: 'hl7-mllp',
    patient: 'p-1',
    mllp: { port: 2575 },
    patients: { 'MRN-00012345': '' },
  };
  env.writeConfig({ hub: offline, devices: [fileDevice('oxi-2'), monitor] });

  assert.is(agent.reload(), false);
  assert.equal(deviceIds(), ['oxi-1']);
  const refused = lines.find((l) => l.event === 'configInvalid');
  assert.is(refused?.level, 50);
  assert.match(String(refused?.err), /agent\.yaml:\d+:\d+ devices\.1\.patients\[key 1\]: /);
  assert.not.match(JSON.stringify(lines), /MRN/);
});

test('a change to the file reloads it, without a SIGHUP', async () => {
  env = await createAgentEnv(hub, {});
  env.writeConfig({ hub: offline, devices: [fileDevice('oxi-1')] });
  agent = await startAgent({
    configFile: env.configFile,
    logger: createLogger({ level: 'silent' }),
  });
  assert.equal(deviceIds(), ['oxi-1']);

  env.writeConfig({ hub: offline, devices: [fileDevice('oxi-1'), fileDevice('oxi-2')] });
  await waitFor(() => deviceIds().includes('oxi-2'), 'reloaded after a write');

  // An editor that saves by renaming a new file over the old one.
  const saved = `${env.configFile}.swp`;
  writeFileSync(
    saved,
    stringify({ stateDir: env.stateDir, hub: offline, devices: [fileDevice('oxi-3')] }),
  );
  renameSync(saved, env.configFile);
  await waitFor(() => deviceIds().join() === 'oxi-3', 'reloaded after a rename');
});

test.run();
