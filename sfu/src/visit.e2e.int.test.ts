import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type * as mediasoupNs from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSfuService, type SfuService } from './service.js';
import { createVisitTokenIssuer } from './tokens.js';
import type { VisitEvent } from './visit-events.js';
import { attachVitalsFeed, type VitalsSink } from './vitals-feed.js';
import { reportMissingMedia } from './media-prerequisite.js';
import { findWorkerBinary, loadMediasoup, SFU_PACKAGE_DIR } from './worker-binary.js';

// End to end: a clinician and a patient join one visit in headless Chromium (fake camera and
// microphone) through the real visit page, the real signaling and a real mediasoup worker.
const CHROMIUM = '/usr/bin/chromium';
const webClient = resolve(SFU_PACKAGE_DIR, '..', 'web-client');
const worker = findWorkerBinary();
const workerPath = worker.available ? worker.path : '';
// E2E_WORKER_BIN runs the SFU with another worker binary (a debug build, a gdb or valgrind
// wrapper).
const missing = !worker.available
  ? worker.reason
  : !existsSync(CHROMIUM)
    ? `headless e2e skipped: ${CHROMIUM} missing (apt-get install -y chromium)`
    : null;

const secret = randomBytes(32);
const issuer = createVisitTokenIssuer(secret);
let events: VisitEvent[] = [];
let pageErrors: string[] = [];
let http: HttpServer | undefined;
let io: Server | undefined;
let sfu: SfuService | undefined;
let browser: Browser;
let page: { html: string; js: string };
let base = '';
let outDir = '';
let feedTimer: NodeJS.Timeout | undefined;
/** Every producer the SFU creates, with the worker its router is on (mediasoup observer API). */
const producers: { producer: ms.Producer; workerIndex: number }[] = [];

type Stats = {
  videoFramesDecoded: number;
  audioPacketsReceived: number;
  audioBytesReceived: number;
};

async function bundlePage(): Promise<{ html: string; js: string }> {
  outDir = mkdtempSync(join(tmpdir(), 'sd-visit-page-'));
  await build({
    entryPoints: [join(webClient, 'src/visit/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'chrome110',
    outfile: join(outDir, 'visit.js'),
    logLevel: 'silent',
  });
  const html = readFileSync(join(webClient, 'visit.html'), 'utf8').replace(
    '/src/visit/main.ts',
    '/visit.js',
  );

  return { html, js: readFileSync(join(outDir, 'visit.js'), 'utf8') };
}

function startVitalsEmitter(io: Server): void {
  // A small real emitter standing where the alerting service will be wired in.
  const sinks = new Set<VitalsSink>();
  let beat = 72;
  attachVitalsFeed(io, {
    tokenKey: secret,
    source: {
      subscribe(patientRef, sink) {
        sink.snapshot({
          patientRef,
          at: new Date().toISOString(),
          readings: [
            {
              code: '59408-5',
              label: 'SpO2',
              value: 95,
              unit: '%',
              effectiveAt: new Date().toISOString(),
              trend: 'steady',
            },
          ],
          alerts: [
            {
              id: 'al-1',
              severity: 'high',
              title: 'SpO2 below 92 % for 5 min',
              status: 'open',
              raisedAt: new Date().toISOString(),
            },
          ],
        });
        sinks.add(sink);
        return () => sinks.delete(sink);
      },
    },
  });
  feedTimer = setInterval(() => {
    beat += 1;
    for (const sink of sinks) {
      sink.reading({
        code: '8867-4',
        label: 'Heart rate',
        value: beat,
        unit: '/min',
        effectiveAt: new Date().toISOString(),
        trend: 'rising',
      });
    }
  }, 300);
}

async function openVisit(apt: string, role: 'host' | 'patient', userId: string): Promise<Page> {
  const token = await issuer.issue({
    appointmentId: apt,
    userId,
    role,
    displayName: role === 'host' ? 'Dr Demo' : 'Pat Demo',
    ...(role === 'host' ? { patientRef: 'Patient/p-e2e' } : {}),
    ttlSeconds: 600,
  });
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const tab = await context.newPage();
  tab.on('pageerror', (e) => {
    pageErrors.push(`[${role}] ${e.message}`);
    console.error(`[${role} page error]`, e.message, e.stack);
  });
  await tab.goto(`${base}/visit.html#token=${token}`);
  await tab.getByTestId('join').waitFor({ state: 'visible' });
  await tab.waitForFunction(`!document.querySelector('[data-testid="join"]').disabled`);

  return tab;
}

function watchProducers(mediasoup: typeof mediasoupNs): void {
  mediasoup.observer.on('newworker', (w) => {
    w.observer.on('newrouter', (router) => {
      const { workerIndex } = router.appData as { workerIndex: number };
      router.observer.on('newtransport', (transport) => {
        // Producers the browsers send, not the pipe producers that carry them across workers.
        if (transport.type !== 'webrtc') {
          return;
        }
        transport.observer.on('newproducer', (producer) => {
          producers.push({ producer, workerIndex });
        });
      });
    });
  });
}

/** Producers a participant sends. */
function producersOf(participantId: string): typeof producers {
  return producers.filter(
    (p) => (p.producer.appData as { participantId?: string }).participantId === participantId,
  );
}

function micOf(participantId: string): ms.Producer {
  const mic = producersOf(participantId).find(
    (p) => p.producer.kind === 'audio' && !p.producer.closed,
  );
  assert.ok(mic, 'the participant sends audio');

  return mic.producer;
}

function workersOf(participantId: string): number[] {
  return [...new Set(producersOf(participantId).map((p) => p.workerIndex))];
}

async function participantIdOf(tab: Page): Promise<string> {
  return tab.evaluate<string>('window.__visit.welcome.participantId');
}

async function startStack(media: { numWorkers: number; maxLoadPerWorker?: number }) {
  events = [];
  pageErrors = [];
  http = createServer((req, res) => {
    if (req.url?.startsWith('/visit.html')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page.html);
    } else if (req.url === '/visit.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(page.js);
    } else if (!req.url?.startsWith('/socket.io')) {
      res.writeHead(404).end();
    }
  });
  io = new Server(http);
  sfu = createSfuService({
    tokenKey: secret,
    onVisitEvent: (e) => void events.push(e),
    logger: pino({ level: 'info' }, pino.destination(2)),
    media: { ...media, listenIp: '127.0.0.1', workerBin: process.env.E2E_WORKER_BIN },
  });
  const status = await sfu.start();
  assert.ok(status.media.available, status.media.reason);
  sfu.attach(io);
  startVitalsEmitter(io);
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function stopStack(): Promise<void> {
  clearInterval(feedTimer);
  for (const context of browser?.contexts() ?? []) {
    await context.close();
  }
  await sfu?.stop();
  await io?.close();
  producers.length = 0;
}

/** Host in the call, patient admitted from the lobby, media flowing both ways. */
async function callOf(apt: string): Promise<{ clinician: Page; patient: Page }> {
  const clinician = await openVisit(apt, 'host', 'clin-1');
  await clinician.getByTestId('join').click();
  await clinician.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();
  const hostId = await participantIdOf(clinician);
  await until(
    'the host sending audio and video',
    async () => producersOf(hostId).length,
    (n) => n >= 2,
  );

  const patient = await openVisit(apt, 'patient', 'pat-1');
  await patient.getByTestId('join').click();
  await patient.getByTestId('lobby').waitFor({ state: 'visible' });
  await clinician.getByTestId('admit').click();
  await patient.getByTestId('call-status').filter({ hasText: 'In call' }).waitFor();

  const received = (s: Stats) => s.videoFramesDecoded > 0 && s.audioPacketsReceived > 0;
  const atClinician = await until('media at the clinician', () => statsOf(clinician), received);
  const atPatient = await until('media at the patient', () => statsOf(patient), received);
  console.log(
    `${apt}: clinician received ${JSON.stringify(atClinician)}; ` +
      `patient received ${JSON.stringify(atPatient)}`,
  );

  return { clinician, patient };
}

/** A round trip to each page, so that errors raised before it have been reported. */
async function settle(tabs: Page[]): Promise<void> {
  for (const tab of tabs) {
    if (!tab.isClosed()) {
      await tab.evaluate('0');
    }
  }
}

async function statsOf(page: Page): Promise<Stats> {
  return page.evaluate<Stats>('window.__visit.receiveStats()');
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 120; i++) {
    last = await probe();
    if (ok(last)) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not reached; last: ${JSON.stringify(last)}`);
}

test('the visit page bundles offline and its html loads the bundle', async () => {
  const bundled = await bundlePage();

  assert.match(bundled.html, /<script type="module" src="\/visit.js">/);
  assert.match(bundled.js, /visit-vitals/);
  assert.ok(bundled.js.length > 100_000, 'mediasoup-client and socket.io-client are bundled');
  rmSync(outDir, { recursive: true, force: true });
});

if (missing) {
  reportMissingMedia(test, 'visit e2e (clinician + patient in Chromium)', missing);
} else {
  test.before(async () => {
    page = await bundlePage();
    const mediasoup = await loadMediasoup(process.env.E2E_WORKER_BIN ?? workerPath);
    watchProducers(mediasoup);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });

  test.after.each(async () => {
    await stopStack();
  });

  test.after(async () => {
    await browser?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  test('clinician and patient see and hear each other; the host mutes and removes', async () => {
    await startStack({ numWorkers: 1 });
    const { clinician, patient } = await callOf('apt-e2e');
    const patientId = await participantIdOf(patient);

    await clinician.locator('[data-testid="vitals-rows"] tr[data-code="8867-4"]').waitFor();
    assert.match(await clinician.getByTestId('vitals-alerts').innerText(), /SpO2 below 92/);

    // Host mutes the patient's microphone: the patient is told and the producer is paused.
    await clinician.locator('.tile [data-act="mute-audio"]').first().click();
    await patient.locator('#notice').filter({ hasText: 'microphone' }).waitFor();
    assert.ok(micOf(patientId).paused, 'the server paused the patient microphone');

    // The patient cannot unmute until the host allows it.
    await patient.locator('#toggle-audio').click();
    await patient.locator('#notice').filter({ hasText: 'can let you unmute' }).waitFor();
    assert.ok(micOf(patientId).paused, 'still paused after the refused unmute');
    await clinician.locator('.tile [data-act="allow-audio"]').first().click();
    await patient.locator('#notice').filter({ hasText: 'back on' }).waitFor();
    await patient.locator('#toggle-audio').click();
    await until(
      'the patient microphone resumed',
      async () => micOf(patientId).paused,
      (paused) => !paused,
    );

    // The host removes the patient: out of the call, and not let back in.
    await clinician.locator('.tile [data-act="kick"]').first().click();
    await patient.locator('#error-text[data-code="KICKED"]').waitFor();
    await until(
      'the kick recorded',
      async () => events.some((e) => e.type === 'left' && e.reason === 'kicked'),
      (kicked) => kicked,
    );

    await clinician.getByTestId('end-visit').click();
    await clinician.getByTestId('ended').waitFor({ state: 'visible' });
    const ended = await until(
      'ended event',
      async () => events.find((e) => e.type === 'ended'),
      (e) => e !== undefined,
    );
    assert.ok(ended?.type === 'ended' && ended.participants.length === 2);
    await settle([clinician, patient]);
    assert.equal(pageErrors, [], 'no page errors');
  });

  test('a visit spread over two workers carries media through pipeToRouter', async () => {
    // Two producers fill a worker: the patient lands on the other worker's router.
    await startStack({ numWorkers: 2, maxLoadPerWorker: 2 });
    const { clinician, patient } = await callOf('apt-e2e-pipe');

    const hostWorker = workersOf(await participantIdOf(clinician));
    const patientWorker = workersOf(await participantIdOf(patient));
    assert.is(hostWorker.length, 1);
    assert.is(patientWorker.length, 1);
    assert.is.not(hostWorker[0], patientWorker[0], 'the participants are on different workers');

    await clinician.getByTestId('end-visit').click();
    await patient.getByTestId('ended').waitFor({ state: 'visible' });
    await settle([clinician, patient]);
    assert.equal(pageErrors, [], 'no page errors');
  });
}

test.run();
