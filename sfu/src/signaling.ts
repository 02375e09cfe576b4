import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import type { types as ms } from 'mediasoup';
import { VisitError } from './errors.js';
import { assertMayUnmute } from './participant.js';
import type { VisitRoom, Participant, RoomSend } from './visit-room.js';
import type { VisitTokenClaims } from './tokens.js';

/** What the signaling layer needs from the service. */
export interface SignalingContext {
  logger: Logger;
  verify(token: string): Promise<VisitTokenClaims>;
  /** Room for a verified token; throws VISIT_ENDED for a finished visit. */
  roomFor(appointmentId: string): VisitRoom;
  findRoom(appointmentId: string): VisitRoom | undefined;
  media(): { available: boolean; reason?: string };
  /** WebRtcServer of the worker that hosts `router`. */
  webRtcServerFor(router: ms.Router): ms.WebRtcServer;
  /** Outgoing bitrate ceiling per transport, bits/s. */
  maxIncomingBitrate: number;
}

type Ack = (response: { ok: true; data?: unknown } | { ok: false; error: ErrorBody }) => void;
interface ErrorBody {
  code: string;
  message: string;
}

interface SocketData {
  room: VisitRoom;
  participant: Participant;
}

/** Handshake `auth` a client sends: a fresh token, or a resume key after a drop. */
export interface VisitHandshakeAuth {
  token?: string;
  resume?: { appointmentId: string; participantId: string; key: string };
}

const KINDS: readonly ms.MediaKind[] = ['audio', 'video'];

function str(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new VisitError('BAD_REQUEST', `"${name}" must be a non-empty string`);
  }

  return value;
}

function kind(value: unknown): ms.MediaKind {
  if (!KINDS.includes(value as ms.MediaKind)) {
    throw new VisitError('BAD_REQUEST', '"kind" must be audio or video');
  }

  return value as ms.MediaKind;
}

function obj(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/**
 * Registers the `/visit` namespace handlers: token (or resume) check on the handshake, then
 * lobby, host controls and the mediasoup request/response calls, each answered through the
 * socket.io ack as `{ ok, data }` or `{ ok: false, error: { code, message } }`.
 */
export function attachVisitSignaling(nsp: Namespace, ctx: SignalingContext): RoomSend {
  const sockets = new Map<string, Socket>();
  const log = ctx.logger.child({ module: 'sfu:signaling' });

  nsp.use((socket, next) => {
    const auth = obj(socket.handshake.auth) as VisitHandshakeAuth;
    void (async () => {
      if (auth.resume) {
        const room = ctx.findRoom(str(auth.resume.appointmentId, 'appointmentId'));
        if (!room) {
          throw new VisitError('VISIT_ENDED', 'visit not found');
        }
        const participant = room.resume(auth.resume.participantId, auth.resume.key);
        socket.data = { room, participant } satisfies SocketData;
        return;
      }
      const claims = await ctx.verify(auth.token ?? '');
      const room = ctx.roomFor(claims.appointmentId);
      const { participant } = room.join(claims);
      socket.data = { room, participant } satisfies SocketData;
    })().then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof VisitError)) {
          log.warn({ err: error, socket: socket.id }, 'handshake failed');
        }
        const e = error instanceof VisitError ? error : new VisitError('BAD_REQUEST', 'rejected');
        const err = new Error(e.message) as Error & { data: ErrorBody };
        err.data = { code: e.code, message: e.message };
        next(err);
      },
    );
  });

  nsp.on('connection', (socket) => {
    const { room, participant } = socket.data as SocketData;
    const previous = sockets.get(participant.id);
    if (previous && previous !== socket) {
      (previous.data as { replaced?: boolean }).replaced = true;
      previous.disconnect(true);
    }
    sockets.set(participant.id, socket);
    log.info({ visitRoom: room.appointmentId, participant: participant.id }, 'connected');

    socket.emit('welcome', {
      participantId: participant.id,
      resumeKey: participant.resumeKey,
      appointmentId: room.appointmentId,
      role: participant.role,
      state: participant.state,
      hostPresent: room.hostPresent(),
      media: ctx.media(),
    });
    if (participant.role === 'host' && participant.state === 'in-call') {
      socket.emit('lobby', { waiting: room.lobby() });
    }

    const on = (event: string, handler: (body: Record<string, unknown>) => unknown) => {
      socket.on(event, (body: unknown, ack?: Ack) => {
        const reply: Ack = typeof ack === 'function' ? ack : () => undefined;
        Promise.resolve()
          .then(() => handler(obj(body)))
          .then(
            (data) => reply({ ok: true, data }),
            (error: unknown) => {
              if (!(error instanceof VisitError)) {
                log.warn({ err: error, event }, 'signaling request failed');
              }
              const body =
                error instanceof VisitError
                  ? { code: error.code, message: error.message }
                  : { code: 'INTERNAL', message: 'request failed' };
              reply({ ok: false, error: body });
            },
          );
      });
    };
    const admittedOnly = () => {
      if (participant.state !== 'in-call') {
        throw new VisitError('NOT_ADMITTED', 'waiting for the clinician to admit you');
      }
    };
    const inCall = () => {
      admittedOnly();
      const media = ctx.media();
      if (!media.available) {
        throw new VisitError('MEDIA_UNAVAILABLE', media.reason ?? 'media unavailable');
      }
    };
    const routerOf = async (): Promise<ms.Router> => {
      inCall();
      if (!participant.router || participant.router.closed) {
        const media = await room.media();
        participant.router = await media.routerForNewcomer();
      }

      return participant.router;
    };
    const transportOf = (id: unknown) => {
      const t = participant.transports.get(str(id, 'transportId'));
      if (!t) {
        throw new VisitError('NOT_FOUND', 'no such transport');
      }

      return t;
    };

    on('admit', (b) => room.admit(participant, str(b.participantId, 'participantId')));
    on('deny', (b) => room.deny(participant, str(b.participantId, 'participantId')));
    on('mute', (b) => room.mute(participant, str(b.participantId, 'participantId'), kind(b.kind)));
    on('allowUnmute', (b) =>
      room.allowUnmute(participant, str(b.participantId, 'participantId'), kind(b.kind)),
    );
    on('kick', (b) => room.kick(participant, str(b.participantId, 'participantId')));
    on('end', () => room.end(participant));
    on('hangup', () => room.hangup(participant));
    on('peers', () => {
      admittedOnly();
      return room.peers(participant);
    });

    on('getRouterRtpCapabilities', async () => (await routerOf()).rtpCapabilities);

    on('createTransport', async (b) => {
      const router = await routerOf();
      const direction = b.direction === 'send' ? 'send' : 'recv';
      const transport = await router.createWebRtcTransport({
        webRtcServer: ctx.webRtcServerFor(router),
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        appData: { direction, participantId: participant.id },
      });
      await transport.setMaxIncomingBitrate(ctx.maxIncomingBitrate);
      participant.transports.set(transport.id, transport);
      transport.observer.once('close', () => participant.transports.delete(transport.id));

      return {
        id: transport.id,
        iceParameters: transport.iceParameters,
        iceCandidates: transport.iceCandidates,
        dtlsParameters: transport.dtlsParameters,
      };
    });

    on('connectTransport', async (b) => {
      inCall();
      const dtlsParameters = obj(b.dtlsParameters) as unknown as ms.DtlsParameters;
      await transportOf(b.transportId).connect({ dtlsParameters });
    });

    on('restartIce', async (b) => {
      inCall();
      return transportOf(b.transportId).restartIce();
    });

    on('produce', async (b) => {
      inCall();
      const transport = transportOf(b.transportId);
      const producer = await transport.produce({
        kind: kind(b.kind),
        rtpParameters: obj(b.rtpParameters) as unknown as ms.RtpParameters,
        appData: { participantId: participant.id },
      });
      participant.producers.set(producer.id, producer);
      room.producerAdded(producer.kind);
      await room.enforceHostMute(participant, producer);
      producer.observer.once('close', () => {
        participant.producers.delete(producer.id);
        room.broadcastFrom(participant, 'producerClosed', { producerId: producer.id });
      });
      const media = await room.media();
      await media.addProducer(producer, await routerOf());
      room.broadcastFrom(participant, 'newProducer', {
        participantId: participant.id,
        producerId: producer.id,
        kind: producer.kind,
      });

      return { producerId: producer.id };
    });

    on('consume', async (b) => {
      const router = await routerOf();
      const producerId = str(b.producerId, 'producerId');
      const rtpCapabilities = obj(b.rtpCapabilities) as unknown as ms.RtpCapabilities;
      const media = await room.media();
      await media.ensureProducerIn(producerId, router);
      if (!router.canConsume({ producerId, rtpCapabilities })) {
        throw new VisitError('BAD_REQUEST', 'cannot consume this producer with these codecs');
      }
      const recv = [...participant.transports.values()].find(
        (t) => (t.appData as { direction?: string }).direction === 'recv',
      );
      if (!recv) {
        throw new VisitError('NOT_FOUND', 'create a recv transport first');
      }
      const consumer = await recv.consume({ producerId, rtpCapabilities, paused: true });
      participant.consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => participant.consumers.delete(consumer.id));
      consumer.on('producerclose', () => {
        socket.emit('consumerClosed', { consumerId: consumer.id });
        consumer.close();
      });
      consumer.on('producerpause', () =>
        socket.emit('consumerPaused', { consumerId: consumer.id }),
      );
      consumer.on('producerresume', () =>
        socket.emit('consumerResumed', { consumerId: consumer.id }),
      );
      const owner = room.participants.find((p) => p.producers.has(producerId));

      return {
        consumerId: consumer.id,
        producerId,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        type: consumer.type,
        participantId: owner?.id ?? null,
        producerPaused: consumer.producerPaused,
      };
    });

    on('resumeConsumer', async (b) => {
      inCall();
      const consumer = participant.consumers.get(str(b.consumerId, 'consumerId'));
      if (!consumer) {
        throw new VisitError('NOT_FOUND', 'no such consumer');
      }
      await consumer.resume();
    });

    on('setPreferredLayers', async (b) => {
      inCall();
      const consumer = participant.consumers.get(str(b.consumerId, 'consumerId'));
      if (!consumer) {
        throw new VisitError('NOT_FOUND', 'no such consumer');
      }
      const spatialLayer = Number(b.spatialLayer);
      const temporalLayer = b.temporalLayer === undefined ? undefined : Number(b.temporalLayer);
      try {
        await consumer.setPreferredLayers({ spatialLayer, temporalLayer });
      } catch (error) {
        // The worker closes a consumer with its producer before this process hears of it.
        if (!room.participants.some((p) => p.producers.has(consumer.producerId))) {
          throw new VisitError('NOT_FOUND', 'the producer has gone', { cause: error });
        }
        throw error;
      }
    });

    on('setMuted', async (b) => {
      inCall();
      const k = kind(b.kind);
      if (b.muted !== true) {
        assertMayUnmute(participant, k);
      }
      for (const producer of participant.producers.values()) {
        if (producer.kind !== k) {
          continue;
        }
        if (b.muted === true) {
          await producer.pause();
        } else {
          await producer.resume();
        }
        const event = b.muted === true ? 'producerPaused' : 'producerResumed';
        room.broadcastFrom(participant, event, {
          producerId: producer.id,
          participantId: participant.id,
        });
      }
    });

    on('resetMedia', () => {
      room.closeMedia(participant);
    });

    socket.on('disconnect', () => {
      if (sockets.get(participant.id) === socket) {
        sockets.delete(participant.id);
      }
      if (
        (socket.data as { replaced?: boolean }).replaced ||
        room.ended ||
        participant.state === 'left'
      ) {
        return;
      }
      log.info({ visitRoom: room.appointmentId, participant: participant.id }, 'dropped');
      room.disconnected(participant);
    });
  });

  // Delivery function the rooms use to reach a participant's current socket.
  return (participantId, event, payload) => {
    const socket = sockets.get(participantId);
    if (!socket) {
      return;
    }
    socket.emit(event, payload);
    if (event === 'removed') {
      sockets.delete(participantId);
      (socket.data as { replaced?: boolean }).replaced = true;
      setTimeout(() => socket.disconnect(true), 50).unref();
    }
  };
}
