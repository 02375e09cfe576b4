import type { DownKind } from '@sparkden/protocol';
import { EventEmitter } from 'node:events';

import type { AgentFrame } from './hub-broker.js';

/** A way frames travel between the hub and agents: its own broker, or a broker upstream. */
export interface AgentLink {
  on(event: 'agentMessage', listener: (frame: AgentFrame) => void): unknown;
  publishToAgent(
    agentId: string,
    kind: DownKind,
    payload: Uint8Array,
    options?: { retain?: boolean },
  ): Promise<void>;
}

/** Events of {@link AgentLinks}. */
export interface AgentLinksEvents {
  /** A frame from any link. */
  agentMessage: [frame: AgentFrame];
}

/**
 * The hub's links to agents taken together: frames from every link come out as one
 * `agentMessage` stream, an ack goes back the way the agent's last frame came in, and a
 * retained message goes out on every link, since the agent may connect through any of them.
 *
 * @example
 * ```ts
 * const links = new AgentLinks([broker, upstream]);
 * links.on('agentMessage', (m) => void ingest.handle(m));
 * await links.publishAck(agentId, sealedAck);
 * ```
 */
export class AgentLinks extends EventEmitter<AgentLinksEvents> {
  readonly #links: readonly AgentLink[];
  readonly #via = new Map<string, AgentLink>();

  constructor(links: readonly AgentLink[]) {
    super();
    if (links.length === 0) {
      throw new TypeError('"links" must hold at least one link');
    }

    this.#links = links;
    for (const link of links) {
      link.on('agentMessage', (frame) => {
        this.#via.set(frame.agentId, link);
        this.emit('agentMessage', frame);
      });
    }
  }

  /** Publishes a `down/ack` on the link the agent's last frame arrived on. */
  publishAck(agentId: string, payload: Uint8Array): Promise<void> {
    const link = this.#via.get(agentId) ?? this.#links[0];

    return link.publishToAgent(agentId, 'ack', payload);
  }

  /** Publishes a retained frame (or clears it, with an empty payload) on every link. */
  async publishRetained(agentId: string, kind: DownKind, payload: Uint8Array): Promise<void> {
    await Promise.all(
      this.#links.map((l) => l.publishToAgent(agentId, kind, payload, { retain: true })),
    );
  }

  /** Forgets an agent's route (after revocation). */
  forget(agentId: string): void {
    this.#via.delete(agentId);
  }
}
