import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { types as ms } from 'mediasoup';
import { reportMissingMedia } from './media-prerequisite.js';
import { VisitMedia } from './visit-media.js';
import { findWorkerBinary, loadMediasoup } from './worker-binary.js';
import { WorkerPool } from './worker-pool.js';

// Simulcast on a real mediasoup worker: the three VP8 layers visit-client sends become one
// simulcast consumer whose preferred layers a viewer can change.
const bin = findWorkerBinary();
let pool: WorkerPool;
let media: VisitMedia;
let router: ms.Router;

// The layers web-client/src/visit/visit-client.ts sends (rids r0…r2, quarter to full size).
const SIMULCAST_ENCODINGS: ms.RtpEncodingParameters[] = [
  { rid: 'r0', scalabilityMode: 'L1T3', maxBitrate: 150_000 },
  { rid: 'r1', scalabilityMode: 'L1T3', maxBitrate: 400_000 },
  { rid: 'r2', scalabilityMode: 'L1T3', maxBitrate: 1_000_000 },
];

async function vp8Producer(encodings: ms.RtpEncodingParameters[]): Promise<ms.Producer> {
  const transport = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    comedia: true,
  });

  return transport.produce({
    kind: 'video',
    rtpParameters: {
      mid: '0',
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 },
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id', id: 2 },
      ],
      encodings,
    },
  });
}

async function consumerOf(producer: ms.Producer): Promise<ms.Consumer> {
  const transport = await router.createWebRtcTransport({
    listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
  });

  return transport.consume({
    producerId: producer.id,
    rtpCapabilities: router.rtpCapabilities,
    paused: true,
  });
}

if (!bin.available) {
  reportMissingMedia(test, 'simulcast tests', bin.reason);
} else {
  test.before(async () => {
    const mediasoup = await loadMediasoup(bin.path);
    pool = await WorkerPool.start({
      mediasoup,
      logger: pino({ level: 'silent' }),
      numWorkers: 1,
      listenIp: '127.0.0.1',
    });
    media = new VisitMedia({ pool, appointmentId: 'apt-simulcast', maxLoadPerWorker: 100 });
    router = await media.routerForNewcomer();
  });

  test.after(() => {
    media.close();
    pool.close();
  });

  test('a VP8 producer with three encodings gives a simulcast consumer', async () => {
    const producer = await vp8Producer(SIMULCAST_ENCODINGS);
    await media.addProducer(producer, router);

    const consumer = await consumerOf(producer);

    assert.is(producer.type, 'simulcast');
    assert.is(consumer.type, 'simulcast');
    assert.is(consumer.rtpParameters.encodings?.length, 1);
    assert.is(consumer.preferredLayers?.spatialLayer, 2);
  });

  test('setPreferredLayers moves a simulcast consumer to the layers asked for', async () => {
    const producer = await vp8Producer(SIMULCAST_ENCODINGS);
    await media.addProducer(producer, router);
    const consumer = await consumerOf(producer);

    await consumer.setPreferredLayers({ spatialLayer: 0, temporalLayer: 1 });

    assert.equal(consumer.preferredLayers, { spatialLayer: 0, temporalLayer: 1 });
    // The worker's own state, not only the JS-side cache of the last request.
    const dump = (await consumer.dump()) as ms.SimulcastConsumerDump;
    assert.is(dump.preferredSpatialLayer, 0);
    assert.is(dump.preferredTemporalLayer, 1);
  });

  test('a single-encoding VP8 producer gives a simple consumer, without layers', async () => {
    const producer = await vp8Producer([{ ssrc: 424242 }]);

    const consumer = await consumerOf(producer);

    assert.is(consumer.type, 'simple');
    assert.is(consumer.preferredLayers, undefined);
  });
}

test.run();
