import type { AlertingService } from '@sparkden/alerting';
import type { SfuService, SfuStatus } from '@sparkden/sfu';
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { instrumentHub } from './instrument.js';
import { createHubMetrics } from './metrics.js';

// The parts instrumentHub listens to, without a broker; the database has empty queues.
function fakeAlerting(): AlertingService {
  const db = { query: () => Promise.resolve({ rows: [{}], rowCount: 1 }) };

  return {
    ingest: new EventEmitter(),
    fleet: new EventEmitter(),
    db,
  } as unknown as AlertingService;
}

function fakeSfu(media: SfuStatus['media']): SfuService & { media: SfuStatus['media'] } {
  const sfu = {
    media,
    status: () => ({ media: sfu.media, visits: 0 }),
  };

  return sfu as unknown as SfuService & { media: SfuStatus['media'] };
}

function sfuLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^sparkden_sfu_(worker_load|workers)\b/.test(l))
    .sort();
}

test('/metrics carries the SFU worker count and each worker load by its index', async () => {
  const metrics = createHubMetrics();
  const sfu = fakeSfu({ available: true, workers: 3, load: 9, workerLoads: [4, 0, 5] });

  const detach = instrumentHub({ metrics, alerting: fakeAlerting(), sfu, sfuIntervalMs: 60_000 });
  const text = await metrics.registry.metrics();
  detach();

  assert.equal(sfuLines(text), [
    'sparkden_sfu_worker_load{worker="0"} 4',
    'sparkden_sfu_worker_load{worker="1"} 0',
    'sparkden_sfu_worker_load{worker="2"} 5',
    'sparkden_sfu_workers 3',
  ]);
});

test('an SFU without media reports no workers and no stale per-worker series', async () => {
  const metrics = createHubMetrics();
  const sfu = fakeSfu({ available: true, workers: 2, load: 3, workerLoads: [1, 2] });
  const detach = instrumentHub({ metrics, alerting: fakeAlerting(), sfu, sfuIntervalMs: 20 });
  sfu.media = { available: false, reason: 'no worker', workers: 0, load: 0, workerLoads: [] };

  await new Promise((r) => setTimeout(r, 100));
  const text = await metrics.registry.metrics();
  detach();

  assert.equal(sfuLines(text), ['sparkden_sfu_workers 0']);
});

test.run();
