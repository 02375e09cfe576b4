import type { SfuService, SfuStatus } from '@sparkden/sfu';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { createSfuMetricsListener } from './role-sfu-metrics.js';

function fakeSfu(status: SfuStatus): SfuService & { current: SfuStatus } {
  const sfu = { current: status, status: () => sfu.current };

  return sfu as unknown as SfuService & { current: SfuStatus };
}

const worker = (index: number, load: number) => ({
  index,
  pid: 1000 + index,
  load,
  producers: load,
  consumers: 0,
  routers: 1,
});

async function scrape(server: Server): Promise<{ status: number; lines: string[] }> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const lines = (await res.text()).split('\n').filter((l) => /^sparkden_sfu_worker_load/.test(l));

    return { status: res.status, lines };
  } finally {
    await new Promise((ok) => server.close(ok));
  }
}

test('without a token /metrics is open', async () => {
  const sfu = fakeSfu({
    media: { available: true, workers: 2, load: 3, workerStatus: [worker(0, 1), worker(1, 2)] },
    visits: 1,
  });

  const { status, lines } = await scrape(createServer(createSfuMetricsListener(sfu)));

  assert.is(status, 200);
  assert.equal(lines, [
    'sparkden_sfu_worker_load{worker="0"} 1',
    'sparkden_sfu_worker_load{worker="1"} 2',
  ]);
});

test('a worker gone since the last scrape leaves no series; no media, no series', async () => {
  const sfu = fakeSfu({
    media: { available: true, workers: 2, load: 3, workerStatus: [worker(0, 1), worker(1, 2)] },
    visits: 1,
  });
  const listener = createSfuMetricsListener(sfu);
  await scrape(createServer(listener));

  sfu.current = { media: { available: false, workers: 0, load: 0 }, visits: 0 };
  const { lines } = await scrape(createServer(listener));

  assert.equal(lines, []);
});

test('a token shorter than 16 characters is refused, naming the option', () => {
  const sfu = fakeSfu({ media: { available: false, workers: 0, load: 0 }, visits: 0 });

  assert.throws(() => createSfuMetricsListener(sfu, { token: 'short' }), /"token"/);
});

test.run();
