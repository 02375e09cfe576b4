import type { types as ms } from 'mediasoup';
import { VisitError } from './errors.js';
import {
  actorRefOf,
  closeParticipantMedia,
  hostPresentIn,
  lobbyOf,
  lobbyUpdates,
  newParticipant,
  peerInfoOf,
  type LobbyEntry,
  type Participant,
  type PeerInfo,
} from './participant.js';
import type { VisitAuditAction, VisitAuditEvent, VisitEvent, LeaveReason } from './visit-events.js';
import { SeatPolicy } from './seat-policy.js';
import { VisitClock } from './visit-clock.js';
import { endedEvents } from './visit-summary.js';
import type { VisitMedia } from './visit-media.js';
import { VisitMediaSlot } from './visit-media-slot.js';
import type { VisitRole, VisitTokenClaims } from './tokens.js';

export type { LobbyEntry, Participant, ParticipantState, PeerInfo } from './participant.js';

/** What the room tells participants; the signaling layer delivers it. */
export type RoomSend = (participantId: string, event: string, payload: unknown) => void;

export interface VisitRoomOptions {
  appointmentId: string;
  media: () => Promise<VisitMedia>;
  send: RoomSend;
  emit: (event: VisitEvent) => void;
  audit: (event: Omit<VisitAuditEvent, 'at' | 'appointmentId'>) => void;
  /** Called once the visit has ended and everything is closed. */
  onEnded: () => void;
  reconnectGraceMs: number;
  /** The visit ends by itself this long after the last participant left. */
  emptyTimeoutMs: number;
  now?: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One video visit (one Appointment): lobby, admission, the call, reconnects, mute/kick, the end,
 * and the time accounting behind the visit events.
 *
 * @example
 * const room = new VisitRoom({ appointmentId, media, send, emit, audit, onEnded, ... });
 * const p = room.join(claims);
 */
export class VisitRoom {
  readonly appointmentId: string;
  readonly #o: VisitRoomOptions;
  readonly #participants = new Map<string, Participant>();
  readonly #seats = new SeatPolicy();
  readonly #clock = new VisitClock();
  readonly #media: VisitMediaSlot;
  #videoSent = false;
  #ended = false;
  #emptyTimer?: NodeJS.Timeout;
  readonly #now: () => number;

  constructor(options: VisitRoomOptions) {
    this.appointmentId = options.appointmentId;
    this.#o = options;
    this.#media = new VisitMediaSlot(options.media);
    this.#now = options.now ?? Date.now;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get participants(): Participant[] {
    return [...this.#participants.values()];
  }

  get(participantId: string): Participant {
    const p = this.#participants.get(participantId);
    if (!p || p.state === 'left') {
      throw new VisitError('NOT_FOUND', 'no such participant in this visit');
    }

    return p;
  }

  /** Who is waiting in the lobby, oldest first. */
  lobby(): LobbyEntry[] {
    return lobbyOf(this.participants);
  }

  /** Whether a host is connected and in the call. */
  hostPresent(): boolean {
    return hostPresentIn(this.participants);
  }

  /**
   * A token holder arrives (or returns). The host goes straight into the call; a patient or guest
   * admitted earlier in this visit goes back in; anyone else waits in the lobby. The user's
   * seat, while it is held, is taken again only with the token it was taken with (the same
   * device) or after its connection dropped; a token is never accepted for another user.
   * @throws {VisitError} `KICKED`, `SEAT_TAKEN`, or `TOKEN_INVALID` for a replayed token id.
   */
  join(claims: VisitTokenClaims): { participant: Participant; resumed: boolean } {
    this.#assertOpen();
    const denied = this.#seats.denial(claims, this.#seatOf(claims.userId));
    if (denied) {
      this.#audit('visit.join', claims, { outcome: 'denied', reason: denied.code });
      throw denied;
    }

    this.#seats.presented(claims);
    const existing = this.#seatOf(claims.userId);
    if (existing) {
      existing.tokenId = claims.tokenId;
      this.#reattach(existing);
      return { participant: existing, resumed: true };
    }

    const participant = newParticipant(claims, this.#now());
    this.#participants.set(participant.id, participant);
    clearTimeout(this.#emptyTimer);
    this.#audit('visit.join', claims);
    if (claims.role === 'host' || this.#seats.wasAdmitted(claims.userId)) {
      this.#enterCall(participant);
    } else {
      this.#notifyLobby();
    }

    return { participant, resumed: false };
  }

  #seatOf(userId: string): Participant | undefined {
    return this.participants.find((p) => p.userId === userId && p.state !== 'left');
  }

  /** A dropped client comes back with its resume key (the join token may have expired). */
  resume(participantId: string, resumeKey: string): Participant {
    this.#assertOpen();
    const p = this.#participants.get(participantId);
    if (!p || p.state === 'left' || p.resumeKey !== resumeKey) {
      throw new VisitError('TOKEN_INVALID', 'resume key rejected');
    }
    this.#reattach(p);

    return p;
  }

  admit(host: Participant, participantId: string): void {
    this.#requireHost(host, 'visit.admit');
    const p = this.get(participantId);
    if (p.state !== 'lobby') {
      return;
    }

    this.#seats.admitted(p.userId);
    this.#o.emit({
      type: 'admitted',
      appointmentId: this.appointmentId,
      userId: p.userId,
      ...actorRefOf(p),
      role: p.role,
      byUserId: host.userId,
      at: iso(this.#now()),
    });
    this.#audit('visit.admit', host, { subjectUserId: p.userId });
    this.#enterCall(p);
    this.#notifyLobby();
  }

  deny(host: Participant, participantId: string): void {
    this.#requireHost(host, 'visit.deny');
    const p = this.get(participantId);
    this.#audit('visit.deny', host, { subjectUserId: p.userId });
    this.#o.send(p.id, 'denied', {});
    this.#leave(p, 'denied');
  }

  /**
   * Host mutes a participant's audio or video: the server pauses the producer, and it stays
   * paused (also a producer created later) until the host allows unmuting; the host can never
   * turn a participant's microphone or camera back on.
   */
  async mute(host: Participant, participantId: string, kind: ms.MediaKind): Promise<void> {
    this.#requireHost(host, 'visit.mute');
    const p = this.get(participantId);

    p.hostMuted.add(kind);
    for (const producer of p.producers.values()) {
      await this.enforceHostMute(p, producer);
    }
    this.#audit('visit.mute', host, { subjectUserId: p.userId, reason: kind });
    this.#o.send(p.id, 'mutedByHost', { kind });
  }

  /** Host lets a muted participant unmute `kind` again; the participant decides when. */
  allowUnmute(host: Participant, participantId: string, kind: ms.MediaKind): void {
    this.#requireHost(host, 'visit.allow-unmute');
    const p = this.get(participantId);

    p.hostMuted.delete(kind);
    this.#audit('visit.allow-unmute', host, { subjectUserId: p.userId, reason: kind });
    this.#o.send(p.id, 'unmuteAllowed', { kind });
  }

  /** Pauses `producer` if the host muted its kind (a new producer must not bypass a mute). */
  async enforceHostMute(p: Participant, producer: ms.Producer): Promise<void> {
    if (!p.hostMuted.has(producer.kind) || producer.paused) {
      return;
    }

    await producer.pause();
    this.#broadcast('producerPaused', { producerId: producer.id, participantId: p.id });
  }

  kick(host: Participant, participantId: string): void {
    this.#requireHost(host, 'visit.kick');
    const p = this.get(participantId);
    if (p.role === 'host') {
      throw new VisitError('FORBIDDEN', 'a host cannot be removed');
    }

    this.#seats.kicked(p.userId);
    this.#audit('visit.kick', host, { subjectUserId: p.userId });
    this.#o.send(p.id, 'kicked', {});
    this.#leave(p, 'kicked');
  }

  /** The participant hangs up. */
  hangup(p: Participant): void {
    this.#leave(p, 'hangup');
  }

  /** Socket dropped: keep the seat for the grace period, then count it as a leave. */
  disconnected(p: Participant): void {
    if (p.state === 'left' || this.#ended) {
      return;
    }
    p.connected = false;
    this.#notifyLobby();
    clearTimeout(p.graceTimer);
    p.graceTimer = setTimeout(() => this.#leave(p, 'disconnect'), this.#o.reconnectGraceMs);
    p.graceTimer.unref();
  }

  /** Host ends the visit for everyone. */
  end(host: Participant | null): void {
    if (this.#ended) {
      return;
    }
    if (host) {
      this.#requireHost(host, 'visit.end');
    }

    const at = this.#now();
    for (const p of this.participants) {
      if (p.state !== 'left') {
        this.#o.send(p.id, 'visitEnded', { endedAt: iso(at) });
        this.#leave(p, 'ended', true);
      }
    }
    this.#ended = true;
    clearTimeout(this.#emptyTimer);
    this.#media.close();
    this.#audit('visit.end', host ?? { userId: 'system', role: 'host' });
    const summary = endedEvents({
      appointmentId: this.appointmentId,
      clock: this.#clock,
      at,
      video: this.#videoSent,
      endedByUserId: host?.userId ?? null,
      participants: this.participants,
    });
    for (const event of summary) {
      this.#o.emit(event);
    }
    this.#o.onEnded();
  }

  /**
   * Media of the call, created on the first request; concurrent first requests share one.
   * @throws {VisitError} `VISIT_ENDED` when the visit ended.
   */
  media(): Promise<VisitMedia> {
    this.#assertOpen();

    return this.#media.get();
  }

  /** Peers in the call other than `self`, with their producers. */
  peers(self: Participant): PeerInfo[] {
    return this.participants.filter((p) => p !== self && p.state === 'in-call').map(peerInfoOf);
  }

  /** A participant started sending `kind`; an audio-only visit is billed differently. */
  producerAdded(kind: ms.MediaKind): void {
    this.#videoSent ||= kind === 'video';
  }

  /** Tells everyone else in the call. */
  broadcastFrom(self: Participant, event: string, payload: unknown): void {
    for (const p of this.participants) {
      if (p !== self && p.state === 'in-call' && p.connected) {
        this.#o.send(p.id, event, payload);
      }
    }
  }

  /** Closes a participant's transports (and so its producers and consumers). */
  closeMedia(p: Participant): void {
    closeParticipantMedia(p);
  }

  /**
   * Worker died under the visit: everyone whose router closed rebuilds media on a new one.
   * (The media set may already have dropped the closed router when it saw it close.)
   */
  workerLost(index: number): void {
    this.#media.ready?.forgetWorker(index);
    for (const p of this.participants) {
      if (p.router && p.router.closed) {
        this.closeMedia(p);
        this.#o.send(p.id, 'mediaReset', {});
      }
    }
  }

  #broadcast(event: string, payload: unknown): void {
    for (const p of this.participants) {
      if (p.state === 'in-call' && p.connected) {
        this.#o.send(p.id, event, payload);
      }
    }
  }

  #reattach(p: Participant): void {
    clearTimeout(p.graceTimer);
    p.graceTimer = undefined;
    p.connected = true;
    if (p.state === 'lobby') {
      this.#notifyLobby();
    }
  }

  #enterCall(p: Participant): void {
    const now = this.#now();
    p.state = 'in-call';
    p.inCallSince = now;
    this.#clock.started(now);
    this.#o.emit({
      type: 'joined',
      appointmentId: this.appointmentId,
      userId: p.userId,
      ...actorRefOf(p),
      role: p.role,
      at: iso(now),
    });
    this.#o.send(p.id, 'admitted', { participantId: p.id });
    this.broadcastFrom(p, 'peerJoined', peerInfoOf(p));
    this.#clock.update(now, this.participants);
  }

  #leave(p: Participant, reason: LeaveReason, ending = false): void {
    if (p.state === 'left') {
      return;
    }
    const now = this.#now();
    clearTimeout(p.graceTimer);
    const wasInCall = p.state === 'in-call';
    if (p.inCallSince !== undefined) {
      p.secondsInCall += (now - p.inCallSince) / 1000;
      p.inCallSince = undefined;
    }
    p.state = 'left';
    p.connected = false;
    this.closeMedia(p);
    this.#audit('visit.leave', p, { reason });
    this.#o.emit({
      type: 'left',
      appointmentId: this.appointmentId,
      userId: p.userId,
      ...actorRefOf(p),
      role: p.role,
      reason,
      secondsInCall: Math.round(p.secondsInCall),
      at: iso(now),
    });
    this.#o.send(p.id, 'removed', { reason });
    if (wasInCall && !ending) {
      this.broadcastFrom(p, 'peerLeft', { participantId: p.id });
    }
    this.#clock.update(now, this.participants);
    this.#notifyLobby();
    if (!ending && this.participants.every((x) => x.state === 'left')) {
      this.#emptyTimer = setTimeout(() => this.end(null), this.#o.emptyTimeoutMs);
      this.#emptyTimer.unref();
    }
  }

  #audit(
    action: VisitAuditAction,
    actor: { userId: string; role: VisitRole },
    extra: Partial<Pick<VisitAuditEvent, 'outcome' | 'reason' | 'subjectUserId'>> = {},
  ): void {
    this.#o.audit({
      action,
      actorUserId: actor.userId,
      actorRole: actor.role,
      outcome: 'success',
      ...extra,
    });
  }

  #notifyLobby(): void {
    for (const [participantId, event, payload] of lobbyUpdates(this.participants)) {
      this.#o.send(participantId, event, payload);
    }
  }

  #requireHost(p: Participant, action: VisitAuditEvent['action']): void {
    this.#assertOpen();
    if (p.role !== 'host' || p.state !== 'in-call') {
      this.#audit(action, p, { outcome: 'denied', reason: 'FORBIDDEN' });
      throw new VisitError('FORBIDDEN', 'only the clinician host may do this');
    }
  }

  #assertOpen(): void {
    if (this.#ended) {
      throw new VisitError('VISIT_ENDED', 'this visit has ended');
    }
  }
}
