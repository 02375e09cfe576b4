import { placeVisit } from '@sparkden/sfu';
import type { Redis } from 'ioredis';

/** Where a visit's participants connect: an SFU node and its signaling URL. */
export interface VisitNode {
  nodeId: string;
  /** Base URL of the node's socket.io server; the client connects to `<url>/visit`. */
  url: string;
}

/** Picks the SFU node of an Appointment's visit. */
export type VisitPlacer = (appointmentId: string) => Promise<VisitNode>;

/** Options of {@link createVisitPlacer}. */
export interface VisitPlacerOptions {
  /** The SFU embedded in this hub. */
  local: VisitNode;
  /** Shared Redis where SFU nodes register their load; without it every visit stays local. */
  redis?: Redis;
  /** Registry key prefix (the SFU's `cluster.prefix`); tests use a unique one. */
  prefix?: string;
}

/**
 * Placement of new visits across SFU nodes. With Redis, the least-loaded live node by
 * load/capacity (the embedded SFU registers itself like any other node), and every participant
 * of one Appointment lands on the node the visit already lives on; with no live node
 * registered (no media worker anywhere), the embedded SFU, which tells the client that video
 * is unavailable. Without Redis, always the embedded SFU.
 *
 * @example
 * const place = createVisitPlacer({ local: { nodeId: 'hub-1', url }, redis });
 * const { url } = await place('apt-1');
 */
export function createVisitPlacer(options: VisitPlacerOptions): VisitPlacer {
  const { redis, local } = options;
  if (redis === undefined) {
    return () => Promise.resolve(local);
  }

  return async (appointmentId) => {
    const placed = await placeVisit(redis, appointmentId, { prefix: options.prefix });

    return placed ?? local;
  };
}
