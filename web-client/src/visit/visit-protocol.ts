/** The visit signaling messages the page exchanges with the SFU (sfu/src/signaling.ts). */

/** Server reply to every request: mirrors sfu/src/signaling.ts. */
export type Reply<T> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface Welcome {
  participantId: string;
  resumeKey: string;
  appointmentId: string;
  role: 'host' | 'patient' | 'guest';
  state: 'lobby' | 'in-call';
  hostPresent: boolean;
  media: { available: boolean; reason?: string };
}

export interface LobbyEntry {
  participantId: string;
  displayName: string;
  role: string;
  waitingSince: string;
}

export interface PeerInfo {
  participantId: string;
  displayName: string;
  role: string;
  producers: { producerId: string; kind: 'audio' | 'video'; paused: boolean }[];
}

/** What the page renders from; each callback is optional. */
export interface VisitClientHandlers {
  welcome?(w: Welcome): void;
  lobby?(waiting: LobbyEntry[]): void;
  lobbyStatus?(s: { hostPresent: boolean }): void;
  admitted?(): void;
  peerJoined?(p: PeerInfo): void;
  peerLeft?(participantId: string): void;
  remoteTrack?(participantId: string, track: MediaStreamTrack): void;
  remoteTrackEnded?(participantId: string, kind: string): void;
  mutedByHost?(kind: 'audio' | 'video'): void;
  /** The host lets this participant unmute `kind` again. */
  unmuteAllowed?(kind: 'audio' | 'video'): void;
  removed?(reason: string): void;
  ended?(): void;
  connection?(state: 'connected' | 'reconnecting' | 'closed'): void;
  error?(message: string): void;
}

export class VisitError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VisitError';
  }
}

export function codeOf(error: Error, fallback: string): string {
  return error instanceof VisitError ? error.code : fallback;
}
