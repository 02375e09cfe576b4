import { randomBytes, randomUUID } from 'node:crypto';
import type { types as ms } from 'mediasoup';
import { VisitError } from './errors.js';
import type { VisitRole, VisitTokenClaims } from './tokens.js';

/** Where a participant is in the visit. */
export type ParticipantState = 'lobby' | 'in-call' | 'left';

/** A person in one visit; survives socket reconnects. */
export interface Participant {
  id: string;
  userId: string;
  /** The holder's FHIR reference from the join token, when it carried one. */
  actorRef?: string;
  role: VisitRole;
  displayName: string;
  state: ParticipantState;
  connected: boolean;
  /** Secret the client presents to resume after a dropped connection. */
  resumeKey: string;
  waitingSince: number;
  router?: ms.Router;
  transports: Map<string, ms.WebRtcTransport>;
  producers: Map<string, ms.Producer>;
  consumers: Map<string, ms.Consumer>;
  /** When the current stint in the call started; undefined while out of it. */
  inCallSince?: number;
  secondsInCall: number;
  graceTimer?: NodeJS.Timeout;
  /** `jti` of the join token the seat was last taken with. */
  tokenId: string;
  /** Kinds the host muted; the participant's producers of these stay paused. */
  hostMuted: Set<ms.MediaKind>;
}

/** Lobby entry as the host sees it. */
export interface LobbyEntry {
  participantId: string;
  displayName: string;
  role: VisitRole;
  waitingSince: string;
}

/** A participant as others in the call see them. */
export interface PeerInfo {
  participantId: string;
  displayName: string;
  role: VisitRole;
  producers: { producerId: string; kind: ms.MediaKind; paused: boolean }[];
}

/** A new participant for a verified token, waiting in the lobby since `now` (epoch ms). */
export function newParticipant(claims: VisitTokenClaims, now: number): Participant {
  return {
    id: randomUUID(),
    userId: claims.userId,
    ...(claims.actorRef === undefined ? {} : { actorRef: claims.actorRef }),
    role: claims.role,
    displayName: claims.displayName,
    state: 'lobby',
    connected: true,
    resumeKey: randomBytes(24).toString('base64url'),
    waitingSince: now,
    transports: new Map(),
    producers: new Map(),
    consumers: new Map(),
    secondsInCall: 0,
    tokenId: claims.tokenId,
    hostMuted: new Set(),
  };
}

/** Who is waiting (and still connected) in the lobby, oldest first. */
export function lobbyOf(participants: readonly Participant[]): LobbyEntry[] {
  return participants
    .filter((p) => p.state === 'lobby' && p.connected)
    .sort((a, b) => a.waitingSince - b.waitingSince)
    .map((p) => ({
      participantId: p.id,
      displayName: p.displayName,
      role: p.role,
      waitingSince: new Date(p.waitingSince).toISOString(),
    }));
}

/**
 * What the lobby change tells each connected participant: hosts in the call get the waiting
 * list, those waiting learn whether their host is there.
 */
export function lobbyUpdates(
  participants: readonly Participant[],
): [participantId: string, event: string, payload: unknown][] {
  const waiting = lobbyOf(participants);
  const hostPresent = hostPresentIn(participants);
  const connected = participants.filter((p) => p.connected);

  return connected.flatMap((p): [string, string, unknown][] => {
    if (p.role === 'host' && p.state === 'in-call') {
      return [[p.id, 'lobby', { waiting }]];
    }
    return p.state === 'lobby' ? [[p.id, 'lobbyStatus', { hostPresent }]] : [];
  });
}

/** Whether a host is connected and in the call. */
export function hostPresentIn(participants: readonly Participant[]): boolean {
  return participants.some((p) => p.role === 'host' && p.state === 'in-call' && p.connected);
}

/** A participant as the others in the call see them, with their producers. */
export function peerInfoOf(p: Participant): PeerInfo {
  return {
    participantId: p.id,
    displayName: p.displayName,
    role: p.role,
    producers: [...p.producers.values()].map((pr) => ({
      producerId: pr.id,
      kind: pr.kind,
      paused: pr.paused,
    })),
  };
}

/** Closes a participant's transports (and so its producers and consumers). */
export function closeParticipantMedia(p: Participant): void {
  for (const t of p.transports.values()) {
    t.close();
  }
  p.transports.clear();
  p.producers.clear();
  p.consumers.clear();
  p.router = undefined;
}

/**
 * @throws {VisitError} `MUTED_BY_HOST` while the host has not allowed `kind` back on.
 */
export function assertMayUnmute(p: Participant, kind: ms.MediaKind): void {
  if (p.hostMuted.has(kind)) {
    throw new VisitError('MUTED_BY_HOST', `the host muted your ${kind}; ask to unmute`);
  }
}

/** The participant's FHIR reference as event fields (none when the token carried none). */
export function actorRefOf(p: Participant): { actorRef?: string } {
  return p.actorRef === undefined ? {} : { actorRef: p.actorRef };
}
