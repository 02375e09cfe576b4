/**
 * `npm run bench -- sfu`: what one mediasoup worker carries, and what the SFU adds to a frame.
 *
 * 1. Consumers per worker at ≤ 80 % of one core. One producer pair (VP8 ~1 Mbit/s at 30 fps in
 *    4 packets per frame, Opus 50 packets/s) is fed over RTP from this process; N consumers,
 *    each on its own PlainTransport (one per viewer, as a real recv transport), forward to a
 *    UDP port nobody reads (the worker's own stats count what it sent). Worker CPU comes from
 *    the worker's own getrusage over a fixed window. The peer is mediasoup's published
 *    guidance (~500 consumers per worker). Measured twice: plain RTP,
 *    and SRTP both ways (`enableSrtp`, AES_CM_128_HMAC_SHA1_80), where a second worker, not
 *    measured, protects the incoming RTP and every consumer's transport protects its copy, as
 *    DTLS-SRTP to browsers does.
 * 2. Latency, first as a browser sees it: in one headless Chromium page a canvas stream with a
 *    frame counter drawn in its pixels goes over a direct RTCPeerConnection pair and, at the
 *    same time, through this SFU (WebRtcTransport, DTLS-SRTP); each decoded frame's latency is
 *    decode time - draw time (browser-latency.ts). Then the same frames of this process go two
 *    ways, alternating: sender → SFU (PlainTransport in, SimpleConsumer, PlainTransport out) →
 *    sink, and sender → sink directly over loopback UDP. Frame latency = first packet sent →
 *    last packet received.
 *
 * NOTE: the SRTP run has the per-packet cost of SRTP but not DTLS's handshake or ICE checks,
 * which are per transport, not per packet. Needs the built worker (sfu/scripts/build-worker.sh).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { types as ms } from 'mediasoup';
import { reportBrowserLatency } from './browser-latency.js';
import { findWorkerBinary, loadMediasoup } from './worker-binary.js';

const VIDEO_SSRC = 11111111;
const AUDIO_SSRC = 22222222;
const VIDEO_PT = 101;
const AUDIO_PT = 100;
const PACKETS_PER_FRAME = 4;
const VIDEO_PAYLOAD = 1000;
const WINDOW_MS = 3000;
const CPU_BUDGET = 0.8;
const PEER_GUIDANCE = 500;
const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';
// A viewer's two consumers forward 30 frames × 4 packets and 50 Opus packets a second.
const PPS_PER_CONSUMER = (30 * PACKETS_PER_FRAME + 50) / 2;

const bin = findWorkerBinary();
if (!bin.available) {
  console.log(`sfu: skipped: ${bin.reason}`);
  process.exit(0);
}
const mediasoup = await loadMediasoup(bin.path);

function rtpPacket(
  pt: number,
  ssrc: number,
  seq: number,
  ts: number,
  marker: boolean,
  payload: Buffer,
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | pt;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(ts >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);

  return Buffer.concat([header, payload]);
}

/** VP8 payload that mediasoup reads as a keyframe start so consumers forward at once. */
function vp8Payload(first: boolean, frame: number, index: number, sentNs: bigint): Buffer {
  const p = Buffer.alloc(VIDEO_PAYLOAD);
  // [RFC 7741 §4.2: descriptor byte, S bit = start of partition, PID 0]
  p[0] = first ? 0x10 : 0x00;
  // [RFC 6386 §9.1: keyframe tag (P = 0) and start code 9d 01 2a, 640x480]
  p.set([0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 1);
  p.writeUInt32BE(frame, 16);
  p.writeUInt8(index, 20);
  p.writeBigUInt64BE(sentNs, 24);

  return p;
}

async function bind(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));

  return s;
}

async function setupProducer(router: ms.Router) {
  const transport = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: true,
  });
  return producePlain(transport);
}

async function producePlain(transport: ms.PlainTransport) {
  const video = await transport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: VIDEO_PT,
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        },
      ],
      encodings: [{ ssrc: VIDEO_SSRC }],
    },
  });
  const audio = await transport.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: AUDIO_SSRC }],
    },
  });

  return { transport, video, audio, port: transport.tuple.localPort };
}

/** Sends 30 fps video + 50 pps audio to `ports` until stopped; `onFrame` sees each frame. */
function startSender(
  socket: Socket,
  targets: () => number[],
  onFrame?: (frame: number, sentNs: bigint, port: number) => void,
) {
  let seqV = 0;
  let seqA = 0;
  let frame = 0;
  const videoTimer = setInterval(() => {
    frame += 1;
    const sentNs = process.hrtime.bigint();
    const list = targets();
    const port = list[frame % list.length];
    onFrame?.(frame, sentNs, port);
    for (let i = 0; i < PACKETS_PER_FRAME; i++) {
      const payload = vp8Payload(i === 0, frame, i, sentNs);
      const pkt = rtpPacket(
        VIDEO_PT,
        VIDEO_SSRC,
        seqV++,
        frame * 3000,
        i === PACKETS_PER_FRAME - 1,
        payload,
      );
      socket.send(pkt, port, '127.0.0.1');
    }
  }, 33);
  const audioTimer = setInterval(() => {
    const pkt = rtpPacket(AUDIO_PT, AUDIO_SSRC, seqA++, seqA * 960, false, Buffer.alloc(120, 1));
    for (const port of new Set(targets())) {
      socket.send(pkt, port, '127.0.0.1');
    }
  }, 20);

  return () => {
    clearInterval(videoTimer);
    clearInterval(audioTimer);
  };
}

async function workerCpuShare(worker: ms.Worker): Promise<number> {
  const before = await worker.getResourceUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const after = await worker.getResourceUsage();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpuMs = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime;

  return cpuMs / wallMs;
}

const MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

/**
 * The measured router's producers fed over SRTP: this process sends plain RTP to a feeder
 * worker, whose SRTP PlainTransport protects it towards the measured router's SRTP transport.
 */
async function setupSrtpProducer(router: ms.Router) {
  const feederWorker = await mediasoup.createWorker({ logLevel: 'none' });
  const feeder = await feederWorker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const plainIn = await setupProducer(feeder);
  const listenInfo = { protocol: 'udp', ip: '127.0.0.1' } as const;
  const srtp = { enableSrtp: true, srtpCryptoSuite: SRTP_SUITE } as const;
  const into = await router.createPlainTransport({
    listenInfo,
    rtcpMux: true,
    comedia: true,
    ...srtp,
  });
  const out = await feeder.createPlainTransport({
    listenInfo,
    rtcpMux: true,
    comedia: false,
    ...srtp,
  });
  await out.connect({
    ip: '127.0.0.1',
    port: into.tuple.localPort,
    srtpParameters: into.srtpParameters,
  });
  await into.connect({ srtpParameters: out.srtpParameters });
  const produced: ms.Producer[] = [];
  for (const p of [plainIn.video, plainIn.audio]) {
    const fed = await out.consume({ producerId: p.id, rtpCapabilities: feeder.rtpCapabilities });
    produced.push(await into.produce({ kind: fed.kind, rtpParameters: fed.rtpParameters }));
  }

  return {
    video: produced[0],
    audio: produced[1],
    port: plainIn.port,
    close: () => feederWorker.close(),
  };
}

/** Every consumer of about 20 viewers (video and audio alike), for sampled stats. */
function sampleOf(consumers: ms.Consumer[]): ms.Consumer[] {
  const stride = Math.max(1, Math.ceil(consumers.length / 2 / 20));

  return consumers.filter((_, i) => Math.floor(i / 2) % stride === 0);
}

async function packetsSent(consumers: ms.Consumer[]): Promise<{ packets: number; at: number }> {
  const start = performance.now();
  let packets = 0;
  for (const c of consumers) {
    for (const s of await c.getStats()) {
      packets += s.type === 'outbound-rtp' ? s.packetCount : 0;
    }
  }

  return { packets, at: (start + performance.now()) / 2 };
}

async function consumerCapacity(srtp: boolean): Promise<void> {
  const worker = await mediasoup.createWorker({ logLevel: 'none' });
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const producer = srtp ? await setupSrtpProducer(router) : await setupProducer(router);
  const sender = await bind();
  // Consumers send to a port nobody reads: counting tens of thousands of packets a second in
  // this process would slow its sender on a busy machine; stats count what the worker sent.
  const closed = await bind();
  const sinkPort = closed.address().port;
  closed.close();
  const stop = startSender(sender, () => [producer.port]);
  const consumers: ms.Consumer[] = [];
  const label = srtp ? `srtp (${SRTP_SUITE})` : 'plain rtp';

  const addConsumers = async (total: number) => {
    while (consumers.length < total) {
      const t = await router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        ...(srtp ? { enableSrtp: true, srtpCryptoSuite: SRTP_SUITE } : {}),
      });
      // Nothing answers from the far side; any valid keys do for packets it never sends.
      const keys = srtp ? { srtpParameters: t.srtpParameters } : {};
      await t.connect({ ip: '127.0.0.1', port: sinkPort, ...keys });
      for (const p of [producer.video, producer.audio]) {
        consumers.push(
          await t.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities }),
        );
      }
    }
  };

  const rows: { consumers: number; cpu: number; pps: number }[] = [];
  for (const n of [20, 100, 200, 400, 600, 800, 1000, 1200]) {
    await addConsumers(n);
    const sample = sampleOf(consumers);
    const before = await packetsSent(sample);
    const cpu = await workerCpuShare(worker);
    const after = await packetsSent(sample);
    // Stats are read one consumer after another, so the rate spans the two reads' midpoints.
    const seconds = (after.at - before.at) / 1000;
    const pps = ((after.packets - before.packets) * consumers.length) / sample.length / seconds;
    rows.push({ consumers: n, cpu, pps });
    console.log(
      `sfu: ${label}: ${String(n).padStart(5)} consumers  worker cpu ${(cpu * 100).toFixed(1).padStart(5)} %  ` +
        `forwarded ${Math.round(pps)} of ${n * PPS_PER_CONSUMER} pkt/s`,
    );
    // A worker that no longer gets the packets out (a machine busy with other work starves
    // it) measures the machine, not the worker: stop, and rest on the steps before.
    if (cpu > CPU_BUDGET || pps < 0.9 * n * PPS_PER_CONSUMER) {
      break;
    }
  }
  stop();
  const starved =
    rows.length > 1 && rows.at(-1)!.pps < 0.9 * rows.at(-1)!.consumers * PPS_PER_CONSUMER;
  if (starved) {
    console.log(
      `sfu: ${label}: worker starved at ${rows.at(-1)!.consumers} consumers; step dropped`,
    );
    rows.pop();
  }

  // Linear interpolation between the last point under budget and the first over it.
  const over = rows.findIndex((r) => r.cpu > CPU_BUDGET);
  let capacity: number;
  if (over === -1) {
    capacity = rows.at(-1)!.consumers;
  } else if (over === 0) {
    capacity = Math.round((rows[0].consumers * CPU_BUDGET) / rows[0].cpu);
  } else {
    const a = rows[over - 1];
    const b = rows[over];
    capacity = Math.round(
      a.consumers + ((CPU_BUDGET - a.cpu) * (b.consumers - a.consumers)) / (b.cpu - a.cpu),
    );
  }
  const capped =
    over === -1 ? ` (budget not reached at ${rows.at(-1)!.consumers}; lower bound)` : '';
  // The same budget from the cost per forwarded packet of the largest step, which holds even
  // when a busy machine kept the sender below its nominal rate.
  const last = rows.at(-1)!;
  const byPackets = Math.round(CPU_BUDGET / (last.cpu / last.pps) / PPS_PER_CONSUMER);
  console.log(
    `sfu: ${label}: consumers per worker at ≤80 % of one core: ours ${capacity}${capped} ` +
      `(${byPackets} from the cost per packet), mediasoup guidance ~${PEER_GUIDANCE}, ` +
      `ratio ${(capacity / PEER_GUIDANCE).toFixed(2)}`,
  );
  sender.close();
  worker.close();
  if ('close' in producer) {
    producer.close();
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function addedLatency(): Promise<void> {
  const worker = await mediasoup.createWorker({ logLevel: 'none' });
  const router = await worker.createRouter({
    mediaCodecs: [
      { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
      { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
    ],
  });
  await reportBrowserLatency(router);
  const producer = await setupProducer(router);
  const sender = await bind();
  const viaSfu = await bind();
  const direct = await bind();
  const out = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: false,
  });
  await out.connect({ ip: '127.0.0.1', port: viaSfu.address().port });
  await out.consume({ producerId: producer.video.id, rtpCapabilities: router.rtpCapabilities });

  const sfuMs: number[] = [];
  const directMs: number[] = [];
  const record = (into: number[]) => (msg: Buffer) => {
    // Offsets: 12-byte RTP header (no extensions on these paths) + payload layout above.
    if (msg.length < 12 + 32 || (msg[1] & 0x7f) === AUDIO_PT) {
      return;
    }
    const headerLen =
      12 +
      (msg[0] & 0x0f) * 4 +
      ((msg[0] & 0x10) !== 0 ? 4 + msg.readUInt16BE(14 + (msg[0] & 0x0f) * 4) * 4 : 0);
    const index = msg.readUInt8(headerLen + 20);
    if (index !== PACKETS_PER_FRAME - 1) {
      return;
    }
    const sent = msg.readBigUInt64BE(headerLen + 24);
    into.push(Number(process.hrtime.bigint() - sent) / 1e6);
  };
  viaSfu.on('message', record(sfuMs));
  direct.on('message', record(directMs));

  const ports = [producer.port, direct.address().port];
  const stop = startSender(sender, () => ports);
  await new Promise((r) => setTimeout(r, 1000));
  sfuMs.length = 0;
  directMs.length = 0;
  await new Promise((r) => setTimeout(r, 8000));
  stop();

  const s = [...sfuMs].sort((a, b) => a - b);
  const d = [...directMs].sort((a, b) => a - b);
  if (s.length === 0 || d.length === 0) {
    console.log(`sfu: latency: no frames measured (via SFU ${s.length}, direct ${d.length})`);
  } else {
    const [s50, d50, s99, d99] = [
      quantile(s, 0.5),
      quantile(d, 0.5),
      quantile(s, 0.99),
      quantile(d, 0.99),
    ];
    console.log(
      `sfu: frame latency (${s.length}/${d.length} frames) median: via SFU ${s50.toFixed(3)} ms, ` +
        `direct ${d50.toFixed(3)} ms, ratio ${(s50 / d50).toFixed(2)}, added ${(s50 - d50).toFixed(3)} ms`,
    );
    console.log(
      `sfu: frame latency p99: via SFU ${s99.toFixed(3)} ms, direct ${d99.toFixed(3)} ms, ` +
        `ratio ${(s99 / d99).toFixed(2)}, added ${(s99 - d99).toFixed(3)} ms`,
    );
  }
  sender.close();
  viaSfu.close();
  direct.close();
  worker.close();
}

await addedLatency();
await consumerCapacity(false);
await consumerCapacity(true);
