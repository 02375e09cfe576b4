import { VisitError } from './errors.js';
import type { Participant } from './participant.js';
import type { VisitTokenClaims } from './tokens.js';

/**
 * Who may take a seat in one visit: users the host kicked never return, users the host admitted
 * skip the lobby when they come back, a held and connected seat is taken again only with the
 * token it was taken with, and a token id (`jti`) is never accepted for a second user.
 *
 * @example
 * const denied = seats.denial(claims, seatOf(claims.userId));
 * if (denied) throw denied;
 * seats.presented(claims);
 */
export class SeatPolicy {
  readonly #admitted = new Set<string>();
  readonly #kicked = new Set<string>();
  /** token id (`jti`) → the user it was presented for */
  readonly #tokenUsers = new Map<string, string>();

  /** Why `claims` may not take a seat (given the user's current `seat`), or undefined. */
  denial(claims: VisitTokenClaims, seat: Participant | undefined): VisitError | undefined {
    const tokenUser = this.#tokenUsers.get(claims.tokenId);
    if (this.#kicked.has(claims.userId)) {
      return new VisitError('KICKED', 'removed from this visit by the host');
    }
    if (tokenUser !== undefined && tokenUser !== claims.userId) {
      return new VisitError('TOKEN_INVALID', 'token already used by another user');
    }
    // A dropped client returns with its resume key or once its connection is gone; a second
    // device must not silently take over a live seat.
    if (seat?.connected && seat.tokenId !== claims.tokenId) {
      return new VisitError('SEAT_TAKEN', 'already connected to this visit from another device');
    }

    return undefined;
  }

  /** Records that `claims`' token took a seat. */
  presented(claims: VisitTokenClaims): void {
    this.#tokenUsers.set(claims.tokenId, claims.userId);
  }

  admitted(userId: string): void {
    this.#admitted.add(userId);
  }

  wasAdmitted(userId: string): boolean {
    return this.#admitted.has(userId);
  }

  kicked(userId: string): void {
    this.#kicked.add(userId);
    this.#admitted.delete(userId);
  }
}
