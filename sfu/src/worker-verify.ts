import { VisitError } from './errors.js';
import { loadMediasoup } from './worker-binary.js';

/** What a verification run saw. */
export interface WorkerVerification {
  /** mediasoup version the worker answered to (its channel handshake uses it). */
  version: string;
  pid: number;
  /** Codecs the test router offered. */
  routerCodecs: string[];
  /** ICE candidates of the test WebRtcTransport. */
  iceCandidates: number;
  dtlsFingerprints: number;
}

/**
 * Proves a worker binary works before the SFU relies on it: the worker starts and answers
 * mediasoup's channel, a router is created, and a WebRtcTransport with DTLS fingerprints and ICE
 * candidates on 127.0.0.1 comes back. Throws on any failure (`VisitError('WORKER_UNVERIFIED')`
 * for a transport without candidates or fingerprints, mediasoup's own error when the worker
 * does not start); closes everything it made.
 *
 * @example
 * await verifyWorkerBinary('/root/.cache/sparkden/mediasoup-worker-3.19.3/mediasoup-worker');
 */
export async function verifyWorkerBinary(binPath: string): Promise<WorkerVerification> {
  const mediasoup = await loadMediasoup(binPath);

  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  try {
    await worker.getResourceUsage();
    const router = await worker.createRouter({
      mediaCodecs: [
        { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
        { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
      ],
    });
    const transport = await router.createWebRtcTransport({
      listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', portRange: { min: 40000, max: 49999 } }],
    });
    const result: WorkerVerification = {
      version: mediasoup.version,
      pid: worker.pid,
      routerCodecs: router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [],
      iceCandidates: transport.iceCandidates.length,
      dtlsFingerprints: transport.dtlsParameters.fingerprints.length,
    };
    if (result.iceCandidates === 0 || result.dtlsFingerprints === 0) {
      throw new VisitError(
        'WORKER_UNVERIFIED',
        'worker created a WebRtcTransport without candidates or fingerprints',
      );
    }

    return result;
  } finally {
    worker.close();
  }
}
