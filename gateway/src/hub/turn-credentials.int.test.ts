/**
 * TURN credentials against a real coturn (Debian's `coturn`, started here on a free port with
 * `use-auth-secret`) and a real browser: headless Chromium restricted to relay candidates gets
 * a relay address only with credentials the hub minted, and none with expired or forged ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { freePort } from '../testing/hub-process.js';
import { checkTurnOptions, mintTurnCredentials, type TurnIceServer } from './turn-credentials.js';

const SECRET = 'turn-secret-for-this-test-only';

// The browser's RTCPeerConnection, as far as the page function below uses it (this package
// compiles without the DOM library).
declare const RTCPeerConnection: new (config: object) => {
  createDataChannel(label: string): unknown;
  createOffer(): Promise<object>;
  setLocalDescription(offer: object): Promise<void>;
  onicecandidate: ((e: { candidate: { candidate: string } | null }) => void) | null;
  onicegatheringstatechange: (() => void) | null;
  iceGatheringState: string;
  close(): void;
};

async function startCoturn(port: number): Promise<ChildProcess> {
  const relay = await freePort();
  const args = [
    '-n',
    ...['--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1'],
    ...['--listening-port', String(port), '--min-port', String(relay)],
    ...['--max-port', String(relay + 20), '--realm', 'sparkden'],
    ...['--use-auth-secret', '--static-auth-secret', SECRET, '--fingerprint'],
    ...['--no-cli', '--no-tls', '--no-dtls', '--log-file', 'stdout', '--simple-log'],
  ];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 10_000;
  // coturn prints no line per listener at this log level; its auth threads start last.
  while (!/IO method \(auth thread\)/.test(out)) {
    assert.ok(child.exitCode === null && Date.now() < until, `turnserver started: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return child;
}

/** The relay candidates Chromium gathers through the given TURN server. */
function relayCandidates(page: Page, ice: TurnIceServer): Promise<string[]> {
  return page.evaluate(async (server) => {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
    pc.createDataChannel('probe');
    const found: string[] = [];
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate.includes(' typ relay')) {
        found.push(e.candidate.candidate);
      }
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 10_000);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          done();
        }
      };
    });
    pc.close();

    return found;
  }, ice);
}

test('options are checked at start, naming the bad one', () => {
  assert.throws(() => checkTurnOptions({ urls: [], secret: SECRET }), /"urls"/);
  assert.throws(() => checkTurnOptions({ urls: ['http://x'], secret: SECRET }), /"urls"/);
  assert.throws(() => checkTurnOptions({ urls: ['turn:x:3478'], secret: 'short' }), /"secret"/);
  const ok = { urls: ['turns:turn.example.org:5349?transport=tcp'], secret: SECRET };
  assert.is(checkTurnOptions(ok), ok);
});

test('the username carries an expiry and no subject', () => {
  const ice = mintTurnCredentials({ urls: ['turn:x:3478'], secret: SECRET }, 'demo-nurse', 0);
  assert.match(ice.username, /^3600:[0-9a-f]{16}$/);
  assert.not.match(ice.username, /demo-nurse/);
});

test('coturn relays for minted credentials only', async () => {
  const port = await freePort();
  const coturn = await startCoturn(port);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    const page = await browser.newPage();
    const options = { urls: [`turn:127.0.0.1:${port}?transport=udp`], secret: SECRET };

    const minted = mintTurnCredentials(options, 'user-1');
    assert.is((await relayCandidates(page, minted)).length, 1, 'a relay with minted credentials');

    const expired = mintTurnCredentials(options, 'user-1', Date.now() - 2 * 3600_000);
    assert.equal(await relayCandidates(page, expired), [], 'none once expired');
    const forged = { ...minted, credential: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
    assert.equal(await relayCandidates(page, forged), [], 'none with a forged password');
  } finally {
    await browser?.close();
    coturn.kill('SIGKILL');
  }
});

test.run();
