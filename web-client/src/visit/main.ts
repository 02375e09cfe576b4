import { ApiError } from '../app/api/http.js';
import { checkDevices, type DeviceCheck } from './device-check.js';
import { JoinTokens, readVisitLink, resolveBaseUrl } from './join-token.js';
import { layerForWidth } from './layers.js';
import { VisitClient, VisitError, type LobbyEntry, type PeerInfo } from './visit-client.js';
import { mountVitalsPanel } from './vitals-panel.js';

/**
 * Visit page entry. The app's visit links open `visit.html?appointment=ID`: the page asks the
 * hub for a join token with the signed-in user's session (`POST /api/visits/ID/token`) and
 * connects to the signaling URL of the SFU node the hub placed the visit on. A link may
 * instead carry its token in the fragment (never sent to a server):
 * `visit.html#token=…[&signal=https://sfu-2…][&vitals=…]`. The token's role decides the page:
 * a clinician host gets lobby, host controls and the live-vitals panel; a patient or guest
 * gets the device check, the lobby wait, and the call.
 */

/** How the page joins: where to connect, with which role, and a source of valid tokens. */
interface JoinPlan {
  role: string;
  signalUrl: string;
  vitalsUrl: string;
  token: () => Promise<string>;
  /** TURN relays the hub minted credentials for (none for a token link). */
  iceServers?: RTCIceServer[];
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string) => {
  for (const el of document.querySelectorAll<HTMLElement>('[data-screen]')) {
    el.hidden = el.id !== id;
  }
};

function roleFromToken(jwt: string): string {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as {
      role?: string;
    };
    return payload.role ?? '';
  } catch {
    return '';
  }
}

const MESSAGES: Record<string, string> = {
  TOKEN_INVALID: 'This visit link has expired. Please ask for a new link.',
  NO_LINK: 'This visit link is incomplete. Please open the visit from Spark Den.',
  UNAUTHORIZED: 'Please sign in to Spark Den, then open your visit again.',
  FORBIDDEN: 'This visit is not on your schedule.',
  NOT_FOUND: 'This visit could not be found. It may have been cancelled.',
  NETWORK: 'Spark Den could not be reached. Please check your connection and try again.',
  VISIT_ENDED: 'This visit has ended.',
  KICKED: 'You were removed from this visit.',
  MEDIA_UNAVAILABLE: 'Video visits are not available right now. Please call the clinic.',
};

const codeOf = (e: Error) => (e instanceof VisitError ? e.code : 'NETWORK');
const notice = (text: string) => void ($('notice').textContent = text);

/**
 * Reports a failed request on the page. Requests still in flight when this page left the
 * visit (kicked, ended, hung up) and requests about a participant who has just left
 * (`NOT_FOUND`) have nothing left to do.
 */
function attempt(action: Promise<unknown> | undefined, what: string): void {
  action?.catch((e: Error) => {
    if (client?.closed || codeOf(e) === 'NOT_FOUND') {
      return;
    }
    notice(`${what} did not work (${codeOf(e)}).`);
  });
}

function fail(code: string, detail = '') {
  const text = $('error-text');
  text.textContent = MESSAGES[code] ?? `Something went wrong (${code}). ${detail}`;
  text.dataset.code = code;
  if (code === 'UNAUTHORIZED') {
    const signIn = document.createElement('a');
    signIn.href = '/';
    signIn.textContent = 'Sign in';
    text.append(' ', signIn);
  }
  show('screen-error');
}

let plan: JoinPlan | undefined;
let isHost = false;
let check: DeviceCheck | undefined;
let client: VisitClient | undefined;
const tiles = new Map<string, HTMLElement>();

function tile(participantId: string, label: string): HTMLElement {
  let el = tiles.get(participantId);
  if (!el) {
    el = document.createElement('figure');
    el.className = 'tile';
    el.dataset.participant = participantId;
    el.innerHTML =
      '<video autoplay playsinline></video><audio autoplay></audio><figcaption></figcaption>';
    const controls = document.createElement('div');
    controls.className = 'host-controls';
    if (isHost) {
      controls.innerHTML = `<button data-act="mute-audio">Mute mic</button>
        <button data-act="allow-audio">Allow mic</button>
        <button data-act="mute-video">Stop video</button><button data-act="kick">Remove</button>`;
      controls.addEventListener('click', (ev) => {
        const act = (ev.target as HTMLElement).dataset.act;
        attempt(hostAction(participantId, act), 'That');
      });
    }
    el.append(controls);
    $('remote-tiles').append(el);
    tiles.set(participantId, el);
    // Simulcast: ask the SFU for the layer the tile is drawn at, not always the largest.
    const video = el.querySelector('video')!;
    new ResizeObserver(() => {
      attempt(client?.preferLayers(participantId, layerForWidth(video.clientWidth)), 'Video size');
    }).observe(video);
  }
  if (label) {
    el.querySelector('figcaption')!.textContent = label;
  }

  return el;
}

const HOST_ACTIONS: Record<string, (c: VisitClient, id: string) => Promise<unknown>> = {
  kick: (c, id) => c.kick(id),
  'mute-audio': (c, id) => c.mute(id, 'audio'),
  'mute-video': (c, id) => c.mute(id, 'video'),
  'allow-audio': (c, id) => c.allowUnmute(id, 'audio'),
};

function hostAction(participantId: string, act: string | undefined): Promise<unknown> | undefined {
  const action = act === undefined ? undefined : HOST_ACTIONS[act];

  return client && action ? action(client, participantId) : undefined;
}

function renderLobby(waiting: LobbyEntry[]) {
  const list = $('lobby-list');
  list.replaceChildren(
    ...waiting.map((w) => {
      const li = document.createElement('li');
      li.dataset.participant = w.participantId;
      const since = new Date(w.waitingSince).toLocaleTimeString();
      li.innerHTML = `<span class="who"></span> <small></small>
        <button data-testid="admit">Admit</button> <button data-testid="deny">Deny</button>`;
      li.querySelector('.who')!.textContent = `${w.displayName} (${w.role})`;
      li.querySelector('small')!.textContent = `waiting since ${since}`;
      li.querySelector('[data-testid="admit"]')!.addEventListener('click', () => {
        attempt(client?.admit(w.participantId), 'Admitting');
      });
      li.querySelector('[data-testid="deny"]')!.addEventListener('click', () => {
        attempt(client?.deny(w.participantId), 'Denying');
      });
      return li;
    }),
  );
  $('lobby-empty').hidden = waiting.length > 0;
}

async function enterCall() {
  show('screen-call');
  $<HTMLVideoElement>('local-video').srcObject = check!.stream;
  await client!.startMedia(check!.stream);
  $('call-status').textContent = 'In call';
}

async function join() {
  check?.stopMeter();
  $('join').setAttribute('disabled', '');
  const joining = plan!;
  client = new VisitClient({
    url: joining.signalUrl,
    token: joining.token,
    iceServers: joining.iceServers,
    handlers: {
      lobby: renderLobby,
      lobbyStatus: (s) => {
        $('lobby-host').textContent = s.hostPresent
          ? 'Your clinician is here and will let you in shortly.'
          : 'Your clinician has not joined yet.';
      },
      admitted: () =>
        void enterCall().catch((e: Error) => fail((e as VisitError).code ?? 'MEDIA', e.message)),
      peerJoined: (p: PeerInfo) => void tile(p.participantId, `${p.displayName}`),
      peerLeft: (id) => {
        tiles.get(id)?.remove();
        tiles.delete(id);
      },
      remoteTrack: (id, track) => {
        const el = tile(id, '');
        const media = el.querySelector<HTMLMediaElement>(
          track.kind === 'video' ? 'video' : 'audio',
        )!;
        media.srcObject = new MediaStream([track]);
      },
      mutedByHost: (kind) => {
        $('notice').textContent =
          `The clinician turned off your ${kind === 'audio' ? 'microphone' : 'camera'}.`;
        $(`toggle-${kind}`).dataset.muted = 'true';
      },
      unmuteAllowed: (kind) =>
        notice(`You may turn your ${kind === 'audio' ? 'microphone' : 'camera'} back on.`),
      removed: (reason) =>
        fail(reason === 'kicked' ? 'KICKED' : 'DENIED', 'The clinician did not admit you.'),
      ended: () => {
        show('screen-ended');
      },
      connection: (state) => {
        $('connection').textContent = state === 'reconnecting' ? 'Reconnecting…' : '';
      },
      error: (code) => fail(code),
    },
  });
  Object.assign(window, { __visit: client });
  try {
    const welcome = await client.ready();
    if (!welcome.media.available) {
      fail('MEDIA_UNAVAILABLE');
      return;
    }
    if (welcome.state === 'in-call') {
      await enterCall();
    } else {
      show('screen-lobby');
    }
    if (isHost) {
      $('vitals').hidden = false;
      // The token source, not one token: a reconnect after it expired asks the hub again.
      mountVitalsPanel($('vitals'), { url: joining.vitalsUrl, token: joining.token });
    }
  } catch (error) {
    fail(error instanceof VisitError ? error.code : 'NETWORK', (error as Error).message);
  }
}

async function runCheck() {
  try {
    check = await checkDevices({
      cameraId: $<HTMLSelectElement>('camera').value || undefined,
      microphoneId: $<HTMLSelectElement>('microphone').value || undefined,
      onLevel: (level) => ($('mic-level').style.width = `${Math.round(level * 100)}%`),
    });
  } catch (error) {
    $('check-status').textContent =
      `We could not open your camera or microphone: ${(error as Error).name}`;
    return;
  }
  $<HTMLVideoElement>('preview').srcObject = check.stream;
  const fill = (id: string, list: MediaDeviceInfo[]) => {
    const select = $<HTMLSelectElement>(id);
    const current = select.value;
    select.replaceChildren(
      ...list.map(
        (d, i) =>
          new Option(d.label || `Device ${i + 1}`, d.deviceId, false, d.deviceId === current),
      ),
    );
  };
  fill('camera', check.cameras);
  fill('microphone', check.microphones);
  $('check-status').textContent = 'Camera and microphone are working.';
  $('join').removeAttribute('disabled');
}

$('join').addEventListener('click', () => void join());
for (const id of ['camera', 'microphone']) {
  $(id).addEventListener('change', () => {
    check?.stopMeter();
    check?.stream.getTracks().forEach((t) => t.stop());
    void runCheck();
  });
}
for (const kind of ['audio', 'video'] as const) {
  $(`toggle-${kind}`).addEventListener('click', () => {
    const btn = $(`toggle-${kind}`);
    const muted = btn.dataset.muted !== 'true';
    btn.dataset.muted = String(muted);
    client?.setMuted(kind, muted).catch((e: Error) => {
      btn.dataset.muted = 'true';
      notice(
        codeOf(e) === 'MUTED_BY_HOST'
          ? 'The clinician muted you. They can let you unmute.'
          : `That did not work (${codeOf(e)}).`,
      );
    });
  });
}
$('hangup').addEventListener('click', () => {
  // The call is left either way; a failed goodbye only means the seat times out on the server.
  client?.hangup().then(
    () => show('screen-ended'),
    () => show('screen-ended'),
  );
});
$('end-visit').addEventListener('click', () => attempt(client?.end(), 'Ending the visit'));
// A link with its token: role and URLs come from the link itself.
function planFromToken(token: string, signal?: string, vitals?: string): JoinPlan {
  const signalUrl = resolveBaseUrl(signal, location.origin);

  return {
    role: roleFromToken(token),
    signalUrl,
    vitalsUrl: vitals ? resolveBaseUrl(vitals, location.origin) : signalUrl,
    token: () => Promise.resolve(token),
  };
}

// A link from the app: the hub issues the token and says where the visit is placed.
async function planFromAppointment(appointmentId: string): Promise<JoinPlan> {
  const tokens = new JoinTokens(appointmentId);
  const answer = await tokens.current();

  return {
    role: answer.role,
    signalUrl: resolveBaseUrl(answer.signalingUrl, location.origin),
    vitalsUrl: resolveBaseUrl(answer.vitalsUrl, location.origin),
    token: async () => (await tokens.current()).token,
    iceServers: answer.iceServers,
  };
}

function start(joining: JoinPlan) {
  plan = joining;
  isHost = joining.role === 'host';
  document.body.dataset.role = isHost ? 'host' : 'patient';
  $('join').textContent = isHost ? 'Start visit' : 'Join visit';
  $('end-visit').hidden = !isHost;
  $('lobby-panel').hidden = !isHost;
  show('screen-check');
  void runCheck();
}

const link = readVisitLink(location.search, location.hash);
if (link.kind === 'token') {
  start(planFromToken(link.token, link.signalUrl, link.vitalsUrl));
} else if (link.kind === 'appointment') {
  planFromAppointment(link.appointmentId).then(start, (error: unknown) => {
    fail(error instanceof ApiError ? error.code : 'NETWORK', (error as Error).message);
  });
} else {
  fail('NO_LINK');
}
