import { Device } from 'mediasoup-client';
import type { types as msc } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';

import {
  codeOf,
  VisitError,
  type LobbyEntry,
  type PeerInfo,
  type Reply,
  type VisitClientHandlers,
  type Welcome,
} from './visit-protocol.js';
import { inboundTotals, type InboundTotals } from './visit-stats.js';

export {
  VisitError,
  type LobbyEntry,
  type PeerInfo,
  type VisitClientHandlers,
  type Welcome,
} from './visit-protocol.js';

/**
 * Browser side of a visit: socket.io signaling on `/visit`, mediasoup-client send/recv
 * transports, simulcast video, and reconnection that keeps the seat (resume key) and rebuilds
 * media only if the transports did not survive.
 */
export class VisitClient {
  readonly #socket: Socket;
  readonly #h: VisitClientHandlers;
  #welcome?: Welcome;
  #resume?: { appointmentId: string; participantId: string; key: string };
  #device?: Device;
  #send?: msc.Transport;
  #recv?: msc.Transport;
  #local?: MediaStream;
  readonly #producers = new Map<'audio' | 'video', msc.Producer>();
  readonly #consumers = new Map<
    string,
    { consumer: msc.Consumer; participantId: string; type: string; spatialLayer?: number }
  >();
  readonly #wantedLayers = new Map<string, number>();
  #inMedia = false;
  #rebuilds = 0;
  #endedByServer = false;
  #closed = false;
  readonly #iceServers: RTCIceServer[];

  /**
   * `token` is a join token, or a function that returns a valid one (the page's
   * {@link JoinTokens}); it is asked for on every fresh join, so a reconnect after the seat's
   * grace period does not present an expired token. `iceServers` are TURN relays (with the
   * credentials the hub minted) for networks that block the media ports.
   */
  constructor(options: {
    url: string;
    token: string | (() => Promise<string>);
    handlers: VisitClientHandlers;
    iceServers?: RTCIceServer[];
  }) {
    this.#h = options.handlers;
    this.#iceServers = options.iceServers ?? [];
    const tokenOf =
      typeof options.token === 'string'
        ? () => Promise.resolve(options.token as string)
        : options.token;
    this.#socket = io(`${options.url}/visit`, {
      transports: ['websocket'],
      auth: (cb) => {
        if (this.#resume) {
          cb({ resume: this.#resume });
          return;
        }
        // A token that cannot be had is sent empty: the server answers TOKEN_INVALID.
        tokenOf().then(
          (token) => cb({ token }),
          () => cb({ token: '' }),
        );
      },
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
    });
    this.#wire();
  }

  get welcome(): Welcome | undefined {
    return this.#welcome;
  }

  /** Resolves with the first welcome (or rejects with the refusal code). */
  ready(): Promise<Welcome> {
    if (this.#welcome) {
      return Promise.resolve(this.#welcome);
    }

    return new Promise((resolve, reject) => {
      this.#socket.once('welcome', resolve);
      this.#socket.once('connect_error', (err: Error & { data?: { code: string } }) =>
        reject(new VisitError(err.data?.code ?? 'NETWORK', err.message)),
      );
    });
  }

  async request<T = unknown>(event: string, body: object = {}): Promise<T> {
    const reply = (await this.#socket.timeout(10_000).emitWithAck(event, body)) as Reply<T>;
    if (!reply.ok) {
      throw new VisitError(reply.error.code, reply.error.message);
    }

    return reply.data;
  }

  /** Joins the call's media: send our camera/mic, receive everyone already there. */
  async startMedia(local: MediaStream): Promise<void> {
    this.#local = local;
    this.#inMedia = true;
    const caps = await this.request<msc.RtpCapabilities>('getRouterRtpCapabilities');
    if (!this.#device) {
      this.#device = new Device();
      await this.#device.load({ routerRtpCapabilities: caps });
    }
    this.#send = await this.#createTransport('send');
    this.#recv = await this.#createTransport('recv');

    for (const track of local.getTracks()) {
      await this.#produce(track);
    }
    const peers = await this.request<PeerInfo[]>('peers');
    for (const peer of peers) {
      this.#h.peerJoined?.(peer);
      for (const p of peer.producers) {
        await this.#consume(p.producerId, peer.participantId);
      }
    }
  }

  /**
   * Mutes or unmutes our own `kind`. After a host mute the server refuses to unmute
   * (`MUTED_BY_HOST`) until the host allows it; the local track is paused again and the
   * refusal is thrown.
   */
  async setMuted(kind: 'audio' | 'video', muted: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (muted) {
      producer?.pause();
    } else {
      producer?.resume();
    }
    try {
      await this.request('setMuted', { kind, muted });
    } catch (error) {
      if (!muted) {
        producer?.pause();
      }
      throw error;
    }
  }

  /**
   * Asks the SFU to send `participantId`'s simulcast video at `spatialLayer` (0 the smallest)
   * and remembers it for video consumed later. Simple (single-layer) consumers are left alone.
   */
  async preferLayers(participantId: string, spatialLayer: number): Promise<void> {
    this.#wantedLayers.set(participantId, spatialLayer);
    for (const entry of this.#consumers.values()) {
      const layered = entry.type === 'simulcast' || entry.type === 'svc';
      if (entry.participantId !== participantId || !layered || entry.consumer.closed) {
        continue;
      }
      if (entry.consumer.kind !== 'video' || entry.spatialLayer === spatialLayer) {
        continue;
      }
      entry.spatialLayer = spatialLayer;
      await this.request('setPreferredLayers', { consumerId: entry.consumer.id, spatialLayer });
    }
  }

  admit(participantId: string) {
    return this.request('admit', { participantId });
  }

  deny(participantId: string) {
    return this.request('deny', { participantId });
  }

  mute(participantId: string, kind: 'audio' | 'video') {
    return this.request('mute', { participantId, kind });
  }

  /** Host: lets a participant the host muted unmute `kind` themselves. */
  allowUnmute(participantId: string, kind: 'audio' | 'video') {
    return this.request('allowUnmute', { participantId, kind });
  }

  kick(participantId: string) {
    return this.request('kick', { participantId });
  }

  /**
   * Host: ends the visit for everyone. The server tells every participant, this one included,
   * and closes their connections, which may come before the acknowledgement: the visit ended.
   */
  async end(): Promise<void> {
    try {
      await this.request('end');
    } catch (error) {
      if (!this.#endedByServer) {
        throw error;
      }
    }
  }

  /** Leaves the call. The connection is closed even when the server's answer fails. */
  async hangup(): Promise<void> {
    try {
      await this.request('hangup');
    } finally {
      this.close();
    }
  }

  /** Whether this page left the visit ({@link close}, a kick, the end). */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.#inMedia = false;
    this.#send?.close();
    this.#recv?.close();
    this.#socket.disconnect();
  }

  /** Inbound RTP totals on the receive side (for the call-quality badge and tests). */
  receiveStats(): Promise<InboundTotals> {
    return inboundTotals(this.#recv);
  }

  #wire(): void {
    const s = this.#socket;
    s.on('welcome', (w: Welcome) => {
      const first = !this.#welcome;
      this.#welcome = w;
      this.#resume = {
        appointmentId: w.appointmentId,
        participantId: w.participantId,
        key: w.resumeKey,
      };
      this.#h.connection?.('connected');
      if (first) {
        this.#h.welcome?.(w);
      } else {
        this.#afterReconnect(w);
      }
    });
    s.on('connect_error', (err: Error & { data?: { code: string } }) => {
      // A resume refused after the grace period: fall back to the join token.
      if (this.#resume && err.data?.code === 'TOKEN_INVALID') {
        this.#resume = undefined;
        s.connect();
      } else if (err.data?.code) {
        this.#h.error?.(err.data.code);
      }
    });
    s.on('disconnect', (reason) => {
      this.#h.connection?.(reason === 'io client disconnect' ? 'closed' : 'reconnecting');
    });
    s.on('lobby', (m: { waiting: LobbyEntry[] }) => this.#h.lobby?.(m.waiting));
    s.on('lobbyStatus', (m: { hostPresent: boolean }) => this.#h.lobbyStatus?.(m));
    s.on('admitted', () => {
      if (this.#welcome) {
        this.#welcome.state = 'in-call';
      }
      this.#h.admitted?.();
    });
    s.on('peerJoined', (p: PeerInfo) => this.#h.peerJoined?.(p));
    s.on('peerLeft', (m: { participantId: string }) => this.#h.peerLeft?.(m.participantId));
    s.on('newProducer', (m: { producerId: string; participantId: string }) => {
      if (this.#recv) {
        void this.#consume(m.producerId, m.participantId).catch((e: Error) =>
          this.#h.error?.(e.message),
        );
      }
    });
    s.on('consumerClosed', (m: { consumerId: string }) => {
      const entry = this.#consumers.get(m.consumerId);
      if (entry) {
        entry.consumer.close();
        this.#consumers.delete(m.consumerId);
        this.#h.remoteTrackEnded?.(entry.participantId, entry.consumer.kind);
      }
    });
    s.on('mutedByHost', (m: { kind: 'audio' | 'video' }) => {
      this.#producers.get(m.kind)?.pause();
      this.#h.mutedByHost?.(m.kind);
    });
    s.on('unmuteAllowed', (m: { kind: 'audio' | 'video' }) => this.#h.unmuteAllowed?.(m.kind));
    s.on('mediaReset', () => this.#rebuildOrReport());
    s.on('kicked', () => this.#h.removed?.('kicked'));
    s.on('denied', () => this.#h.removed?.('denied'));
    s.on('removed', (m: { reason: string }) => {
      if (m.reason === 'ended') {
        return;
      }
      this.#h.removed?.(m.reason);
      this.close();
    });
    s.on('visitEnded', () => {
      this.#endedByServer = true;
      this.#h.ended?.();
      this.close();
    });
  }

  #afterReconnect(w: Welcome): void {
    if (w.state !== 'in-call' || !this.#inMedia) {
      this.#h.welcome?.(w);
      return;
    }
    const healthy = [this.#send, this.#recv].every(
      (t) => t && !t.closed && t.connectionState === 'connected',
    );
    if (!healthy) {
      this.#rebuildOrReport();
    }
  }

  #rebuildOrReport(): void {
    this.#rebuildMedia().catch((e: Error) => this.#h.error?.(codeOf(e, 'MEDIA_UNAVAILABLE')));
  }

  async #rebuildMedia(): Promise<void> {
    // Bounded: a media server that keeps failing must not be hammered by every client.
    if (!this.#local || ++this.#rebuilds > 3) {
      this.#h.error?.('MEDIA_UNAVAILABLE');
      return;
    }
    this.#send?.close();
    this.#recv?.close();
    this.#producers.clear();
    for (const { participantId, consumer } of this.#consumers.values()) {
      this.#h.remoteTrackEnded?.(participantId, consumer.kind);
    }
    this.#consumers.clear();
    await this.request('resetMedia');
    await this.startMedia(this.#local);
  }

  async #createTransport(direction: 'send' | 'recv'): Promise<msc.Transport> {
    const params = await this.request<msc.TransportOptions>('createTransport', { direction });
    const device = this.#device!;
    const options = { ...params, iceServers: this.#iceServers };
    const transport =
      direction === 'send'
        ? device.createSendTransport(options)
        : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(
        () => callback(),
        errback,
      );
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters }, callback, errback) => {
        this.request<{ producerId: string }>('produce', {
          transportId: transport.id,
          kind,
          rtpParameters,
        }).then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed' && this.#socket.connected) {
        // An ICE restart the server or the browser refuses leaves a dead transport: rebuild.
        this.request<msc.IceParameters>('restartIce', { transportId: transport.id })
          .then((ice) => transport.restartIce({ iceParameters: ice }))
          .catch(() => this.#rebuildOrReport());
      }
    });

    return transport;
  }

  async #produce(track: MediaStreamTrack): Promise<void> {
    const kind = track.kind as 'audio' | 'video';
    // Three simulcast layers so the SFU can send each viewer what its link carries.
    const producer = await this.#send!.produce(
      kind === 'video'
        ? {
            track,
            stopTracks: false,
            encodings: [
              { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
              { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 400_000 },
              { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_000_000 },
            ],
            codecOptions: { videoGoogleStartBitrate: 1000 },
          }
        : {
            track,
            stopTracks: false,
            codecOptions: { opusStereo: false, opusDtx: true, opusFec: true },
          },
    );
    this.#producers.set(kind, producer);
  }

  async #consume(producerId: string, participantId: string): Promise<void> {
    const data = await this.request<{
      consumerId: string;
      producerId: string;
      kind: 'audio' | 'video';
      rtpParameters: msc.RtpParameters;
      type: string;
      participantId: string | null;
    }>('consume', { producerId, rtpCapabilities: this.#device!.rtpCapabilities });
    const consumer = await this.#recv!.consume({
      id: data.consumerId,
      producerId: data.producerId,
      kind: data.kind,
      rtpParameters: data.rtpParameters,
    });
    const owner = data.participantId ?? participantId;
    this.#consumers.set(consumer.id, { consumer, participantId: owner, type: data.type });
    this.#h.remoteTrack?.(owner, consumer.track);
    await this.request('resumeConsumer', { consumerId: consumer.id });
    const wanted = this.#wantedLayers.get(owner);
    if (wanted !== undefined) {
      await this.preferLayers(owner, wanted);
    }
  }
}
