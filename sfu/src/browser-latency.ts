import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import type { types as ms } from 'mediasoup';
import { chromium } from 'playwright-core';
import { SFU_PACKAGE_DIR } from './worker-binary.js';

/** Frame latencies (ms) of one run, per path. */
export interface BrowserLatency {
  direct: number[];
  sfu: number[];
}

/** Options of {@link measureBrowserLatency}. */
export interface BrowserLatencyOptions {
  router: ms.Router;
  chromiumPath?: string;
  warmupMs?: number;
  measureMs?: number;
}

// The page: one canvas stream whose frames carry a 16-bit counter as black/white blocks, sent
// at once over a direct RTCPeerConnection pair and, as a clone, through the SFU (mediasoup-client
// in, a consumer out). Each decoded frame's counter is read back from the pixels in a
// requestVideoFrameCallback; latency = decoded (performance.now) - drawn, one page, one clock.
const PAGE_SOURCE = `
import { Device } from 'mediasoup-client';
const W = 320, H = 240, BITS = 16, S = 40;
const canvas = Object.assign(document.createElement('canvas'), { width: W, height: H });
const ctx = canvas.getContext('2d');
const drawn = new Map();
let n = 0;
setInterval(() => {
  n = (n + 1) & 0xffff;
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, W, H);
  for (let i = 0; i < BITS; i++) {
    ctx.fillStyle = (n >> i) & 1 ? '#fff' : '#000';
    ctx.fillRect((i % 8) * S, Math.floor(i / 8) * S, S, S);
  }
  drawn.set(n, performance.now());
  drawn.delete((n - 600) & 0xffff);
}, 33);
const source = canvas.captureStream(30).getVideoTracks()[0];
const lat = { direct: [], sfu: [] };
window.__lat = lat;

function watch(track, into) {
  const video = Object.assign(document.createElement('video'), { muted: true, autoplay: true });
  video.srcObject = new MediaStream([track]);
  document.body.append(video);
  const read = Object.assign(document.createElement('canvas'), { width: W, height: H });
  const rctx = read.getContext('2d', { willReadFrequently: true });
  const onFrame = () => {
    const at = performance.now();
    rctx.drawImage(video, 0, 0, W, H);
    let v = 0;
    for (let i = 0; i < BITS; i++) {
      const px = rctx.getImageData((i % 8) * S + S / 2, Math.floor(i / 8) * S + S / 2, 1, 1).data;
      v |= (px[0] > 128 ? 1 : 0) << i;
    }
    const t = drawn.get(v);
    if (t !== undefined && at - t < 2000) into.push(at - t);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

async function direct() {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  b.ontrack = (e) => watch(e.track, lat.direct);
  a.addTrack(source.clone());
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
}

async function viaSfu() {
  // A blank page is no secure context, so the browser is named rather than detected.
  const device = new Device({ handlerName: 'Chrome111' });
  await device.load({ routerRtpCapabilities: await window.sfu('caps', {}) });
  const transport = async (dir) => {
    const p = await window.sfu('createTransport', {});
    const t = dir === 'send' ? device.createSendTransport(p) : device.createRecvTransport(p);
    t.on('connect', ({ dtlsParameters }, ok, fail) =>
      window.sfu('connect', { id: t.id, dtlsParameters }).then(ok, fail));
    t.on('produce', ({ kind, rtpParameters }, ok, fail) =>
      window.sfu('produce', { id: t.id, kind, rtpParameters }).then(ok, fail));
    return t;
  };
  const send = await transport('send');
  const recv = await transport('recv');
  const producer = await send.produce({ track: source.clone() });
  const c = await window.sfu('consume', {
    id: recv.id, producerId: producer.id, rtpCapabilities: device.rtpCapabilities,
  });
  const consumer = await recv.consume(c);
  watch(consumer.track, lat.sfu);
}

window.__start = () => Promise.all([direct(), viaSfu()]);
`;

type Call = { id?: string } & Record<string, unknown>;

async function bundlePage(): Promise<string> {
  const out = await build({
    stdin: { contents: PAGE_SOURCE, resolveDir: SFU_PACKAGE_DIR, loader: 'js' },
    bundle: true,
    format: 'esm',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  });

  return out.outputFiles[0].text;
}

function sfuCalls(router: ms.Router) {
  const transports = new Map<string, ms.WebRtcTransport>();
  const transportOf = (c: Call) => transports.get(c.id ?? '')!;

  return async (method: string, c: Call): Promise<unknown> => {
    switch (method) {
      case 'caps':
        return router.rtpCapabilities;
      case 'createTransport': {
        const t = await router.createWebRtcTransport({
          listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
        });
        transports.set(t.id, t);
        const { id, iceParameters, iceCandidates, dtlsParameters } = t;
        return { id, iceParameters, iceCandidates, dtlsParameters };
      }
      case 'connect':
        return transportOf(c).connect({ dtlsParameters: c.dtlsParameters as ms.DtlsParameters });
      case 'produce': {
        const kind = c.kind as ms.MediaKind;
        const rtpParameters = c.rtpParameters as ms.RtpParameters;
        return { id: (await transportOf(c).produce({ kind, rtpParameters })).id };
      }
      case 'consume': {
        const consumer = await transportOf(c).consume({
          producerId: c.producerId as string,
          rtpCapabilities: c.rtpCapabilities as ms.RtpCapabilities,
        });
        const { id, producerId, kind, rtpParameters } = consumer;
        return { id, producerId, kind, rtpParameters };
      }
      default:
        throw new TypeError(`unknown call ${method}`);
    }
  };
}

/**
 * The latency the SFU adds to a browser's video frame against a direct peer connection, in one
 * headless Chromium page and one run (see the page above). Resolves to a reason string when
 * Chromium is missing.
 *
 * @example
 * const lat = await measureBrowserLatency({ router });
 */
export async function measureBrowserLatency(
  options: BrowserLatencyOptions,
): Promise<BrowserLatency | string> {
  const executablePath = options.chromiumPath ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    return `${executablePath} missing`;
  }

  const js = await bundlePage();
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--allow-loopback-in-peer-connection',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.exposeFunction('sfu', sfuCalls(options.router));
    await page.setContent('<!doctype html><body></body>');
    await page.addScriptTag({ content: js, type: 'module' });
    await page.waitForFunction('typeof window.__start === "function"');
    await page.evaluate('window.__start()');
    await page.waitForTimeout(options.warmupMs ?? 3000);
    await page.evaluate('window.__lat.direct.length = 0; window.__lat.sfu.length = 0');
    await page.waitForTimeout(options.measureMs ?? 10_000);

    return await page.evaluate<BrowserLatency>('window.__lat');
  } finally {
    await browser.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor((sorted.length - 1) * 0.95)] ?? Number.NaN;
}

/**
 * Measures with {@link measureBrowserLatency} and prints one line: median (and p95) frame
 * latency via the SFU and over a direct peer connection, their ratio and the difference.
 */
export async function reportBrowserLatency(router: ms.Router): Promise<void> {
  const result = await measureBrowserLatency({ router });
  if (typeof result === 'string') {
    console.log(`sfu: browser frame latency: skipped: ${result}`);
    return;
  }
  const { sfu, direct } = result;
  if (sfu.length === 0 || direct.length === 0) {
    console.log(
      `sfu: browser frame latency: no frames (via SFU ${sfu.length}, direct ${direct.length})`,
    );
    return;
  }

  const [s, d] = [median(sfu), median(direct)];
  console.log(
    `sfu: browser frame latency (${sfu.length}/${direct.length} frames, Chromium) median: ` +
      `via SFU ${s.toFixed(1)} ms, direct peer connection ${d.toFixed(1)} ms, ` +
      `ratio ${(s / d).toFixed(2)}, added ${(s - d).toFixed(1)} ms; ` +
      `p95 ${p95(sfu).toFixed(1)} vs ${p95(direct).toFixed(1)} ms`,
  );
}
