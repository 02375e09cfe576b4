import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { ConfigError } from './errors.js';
import { createLogger } from './log.js';
import { startAgent } from './start-agent.js';

const silent = createLogger({ level: 'silent' });

test('a config object is validated, naming the field', async () => {
  const error = await startAgent({
    config: { stateDir: '/tmp/x', queue: { overflow: 'drop-all' as never } },
    logger: silent,
  }).catch((e: unknown) => e);
  assert.instance(error, ConfigError);
  assert.is((error as ConfigError).code, 'CONFIG_INVALID');
  assert.equal(
    (error as ConfigError).issues.map((i) => i.field),
    ['queue.overflow'],
  );
});

test('a config object with a bad patients entry names its place, never the MRN', async () => {
  const device = {
    id: 'icu-1',
    driver: 'hl7-mllp',
    patient: 'p-1',
    mllp: { port: 2575 },
    patients: { 'MRN-00012340': 'p-1', 'MRN-00012345': '' },
  };
  const error = await startAgent({
    config: { stateDir: '/tmp/x', devices: [device] } as never,
    logger: silent,
  }).catch((e: unknown) => e);

  assert.equal(
    (error as ConfigError).issues.map((i) => i.field),
    ['devices.0.patients[key 2]'],
  );
  assert.not.match((error as Error).message, /MRN/);
});

test('an agent that was never enrolled says so, with the command to run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-agent-'));
  try {
    const error = await startAgent({
      config: { stateDir: join(dir, 'state') },
      logger: silent,
    }).catch((e: unknown) => e);
    assert.is((error as { code?: string }).code, 'NOT_ENROLLED');
    assert.match((error as Error).message, /sparkden-agent enroll/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
