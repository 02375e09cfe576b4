import type { types as ms } from 'mediasoup';
import { io as connect, type Socket } from 'socket.io-client';

/** A participant driven through the real `/visit` signaling, without a browser. */
export interface SignalingPeer {
  readonly socket: Socket;
  readonly participantId: string;
  readonly state: string;
  /** Events of a name this peer has received so far, oldest first. */
  received(event: string): unknown[];
  /** Sends a request; resolves with its `data`, rejects with an error carrying `code`. */
  request<T = unknown>(event: string, body?: object): Promise<T>;
  close(): void;
}

/** Error of a refused signaling request; `code` is the SFU's `VisitErrorCode`. */
export class SignalingRefusal extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SignalingRefusal';
    this.code = code;
  }
}

type Reply = { ok: true; data?: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * Joins a visit on `url` (a node's base URL) with a join token and waits for `welcome`.
 *
 * @example
 * const host = await joinVisitPeer(nodeUrl, await issuer.issue({ … }));
 */
export async function joinVisitPeer(url: string, token: string): Promise<SignalingPeer> {
  const socket = connect(`${url}/visit`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  const log = new Map<string, unknown[]>();
  socket.onAny((event: string, payload: unknown) => {
    log.set(event, [...(log.get(event) ?? []), payload]);
  });
  const welcome = await new Promise<{ participantId: string; state: string }>((ok, fail) => {
    socket.once('welcome', ok);
    socket.once('connect_error', fail);
  });

  return {
    socket,
    participantId: welcome.participantId,
    state: welcome.state,
    received: (event) => log.get(event) ?? [],
    async request<T>(event: string, body: object = {}) {
      const reply = (await socket.emitWithAck(event, body)) as Reply;
      if (!reply.ok) {
        throw new SignalingRefusal(reply.error.code, reply.error.message);
      }

      return reply.data as T;
    },
    close: () => void socket.disconnect(),
  };
}

// What a browser's mediasoup-client would send for one Opus and one VP8 track; the server
// checks codecs against the router, not the packets, so no RTP needs to flow.
function rtpParametersOf(kind: ms.MediaKind, ssrc: number): ms.RtpParameters {
  const codec: ms.RtpCodecParameters =
    kind === 'audio'
      ? { mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }
      : { mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 };

  return {
    mid: kind === 'audio' ? '0' : '1',
    codecs: [codec],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `peer-${ssrc}` },
  };
}

/**
 * Opens a send transport and produces one audio and one video track through signaling.
 * Returns the producer ids.
 */
export async function produceAudioVideo(peer: SignalingPeer, ssrcBase = 1000): Promise<string[]> {
  await peer.request('getRouterRtpCapabilities');
  const send = await peer.request<{ id: string }>('createTransport', { direction: 'send' });
  const ids: string[] = [];
  for (const [i, kind] of (['audio', 'video'] as const).entries()) {
    const rtpParameters = rtpParametersOf(kind, ssrcBase + i);
    const produced = await peer.request<{ producerId: string }>('produce', {
      transportId: send.id,
      kind,
      rtpParameters,
    });
    ids.push(produced.producerId);
  }

  return ids;
}

/**
 * Opens a receive transport and consumes each producer through signaling. Returns the
 * consumer ids.
 */
export async function consumeAll(peer: SignalingPeer, producerIds: string[]): Promise<string[]> {
  const rtpCapabilities = await peer.request<ms.RtpCapabilities>('getRouterRtpCapabilities');
  await peer.request('createTransport', { direction: 'recv' });
  const ids: string[] = [];
  for (const producerId of producerIds) {
    const consumed = await peer.request<{ consumerId: string }>('consume', {
      producerId,
      rtpCapabilities,
    });
    ids.push(consumed.consumerId);
  }

  return ids;
}
