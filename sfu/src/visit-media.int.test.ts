import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { types as ms } from 'mediasoup';
import { reportMissingMedia } from './media-prerequisite.js';
import { VisitMedia } from './visit-media.js';
import { findWorkerBinary, loadMediasoup } from './worker-binary.js';
import { WorkerPool } from './worker-pool.js';

// Placement across workers and pipeToRouter, on real mediasoup workers.
const bin = findWorkerBinary();
let pool: WorkerPool;

async function plainProducer(router: ms.Router, ssrc: number) {
  const transport = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    comedia: true,
  });
  const producer = await transport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc }],
    },
  });

  return { transport, producer };
}

if (!bin.available) {
  reportMissingMedia(test, 'visit media tests', bin.reason);
} else {
  test.before(async () => {
    const mediasoup = await loadMediasoup(bin.path);
    pool = await WorkerPool.start({
      mediasoup,
      logger: pino({ level: 'silent' }),
      numWorkers: 2,
      listenIp: '127.0.0.1',
    });
  });

  test.after(() => pool.close());

  test('one WebRtcServer per worker, each on its own port', async () => {
    const dumps = await Promise.all(pool.workers.map((w) => w.webRtcServer.dump()));
    const udp = dumps.map((d) => d.udpSockets.map((s) => s.port));
    const tcp = dumps.map((d) => d.tcpServers.map((s) => s.port));

    assert.equal(
      udp.map((ports) => ports.length),
      [1, 1],
    );
    assert.equal(
      tcp.map((ports) => ports.length),
      [1, 1],
    );
    assert.is(new Set(udp.flat()).size, 2);
    assert.is(new Set(tcp.flat()).size, 2);
  });

  test('a pool on a base port puts worker i on base + i, UDP and TCP', async () => {
    const mediasoup = await loadMediasoup(bin.path);
    const basePort = 47000 + Math.floor(Math.random() * 2000) * 2;
    const fixed = await WorkerPool.start({
      mediasoup,
      logger: pino({ level: 'silent' }),
      numWorkers: 2,
      listenIp: '127.0.0.1',
      basePort,
    });
    try {
      const dumps = await Promise.all(fixed.workers.map((w) => w.webRtcServer.dump()));

      assert.equal(
        dumps.map((d) => [d.udpSockets[0]?.port, d.tcpServers[0]?.port]),
        [
          [basePort, basePort],
          [basePort + 1, basePort + 1],
        ],
      );
    } finally {
      fixed.close();
    }
  });

  test('a visit outgrowing its worker spreads to another and pipes producers across', async () => {
    const media = new VisitMedia({ pool, appointmentId: 'apt-pipe', maxLoadPerWorker: 2 });
    const first = await media.routerForNewcomer();
    const a = await plainProducer(first, 1111);
    await media.addProducer(a.producer, first);
    const b = await plainProducer(first, 2222);
    await media.addProducer(b.producer, first);
    const firstWorker = media.workerIndexes[0];
    assert.is(pool.byIndex(firstWorker).load, 2);

    const second = await media.routerForNewcomer();

    assert.is.not(second, first);
    assert.is(media.routerCount, 2);
    assert.is.not(media.workerIndexes[1], firstWorker);
    const caps = second.rtpCapabilities;
    assert.ok(second.canConsume({ producerId: a.producer.id, rtpCapabilities: caps }));
    assert.ok(second.canConsume({ producerId: b.producer.id, rtpCapabilities: caps }));

    const c = await plainProducer(second, 3333);
    await media.addProducer(c.producer, second);
    assert.ok(
      first.canConsume({ producerId: c.producer.id, rtpCapabilities: first.rtpCapabilities }),
    );
    media.close();
  });

  test('new visits go to the least-loaded worker', async () => {
    const busy = new VisitMedia({ pool, appointmentId: 'apt-busy', maxLoadPerWorker: 100 });
    const r1 = await busy.routerForNewcomer();
    const p = await plainProducer(r1, 4444);
    await busy.addProducer(p.producer, r1);
    const quiet = new VisitMedia({ pool, appointmentId: 'apt-quiet', maxLoadPerWorker: 100 });

    await quiet.routerForNewcomer();

    assert.is.not(quiet.workerIndexes[0], busy.workerIndexes[0]);
    busy.close();
    quiet.close();
  });
  async function routersOnPool(): Promise<number> {
    const dumps = await Promise.all(pool.workers.map((w) => w.worker.dump()));

    return dumps.reduce((n, d) => n + d.routerIds.length, 0);
  }

  test('concurrent newcomers of a new visit share one router', async () => {
    const before = await routersOnPool();
    const media = new VisitMedia({ pool, appointmentId: 'apt-race', maxLoadPerWorker: 100 });

    const routers = await Promise.all([1, 2, 3, 4].map(() => media.routerForNewcomer()));

    assert.is(new Set(routers).size, 1);
    assert.is(media.routerCount, 1);
    assert.is(await routersOnPool(), before + 1);
    media.close();
  });

  test('after its router closes under it, concurrent rebuilds create one new router', async () => {
    const media = new VisitMedia({ pool, appointmentId: 'apt-reset', maxLoadPerWorker: 100 });
    const lost = await media.routerForNewcomer();
    const before = await routersOnPool();

    // A dead worker closes its routers; every participant then asks for a new one at once.
    lost.close();
    const routers = await Promise.all([1, 2, 3].map(() => media.routerForNewcomer()));

    assert.is(new Set(routers).size, 1);
    assert.is.not(routers[0], lost);
    assert.not.ok(routers[0].closed);
    assert.is(media.routerCount, 1);
    assert.is(await routersOnPool(), before);
    media.close();
  });
}

test.run();
