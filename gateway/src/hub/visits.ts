import type { Logger } from 'pino';
import type { Server as SocketServer } from 'socket.io';
import { createSfuService, type SfuService } from '@sparkden/sfu';

import type { Gateway } from '../gateway.js';
import { loadOrCreateSecret } from '../crypto/secrets.js';

/** Options of {@link attachVisits}. */
export interface AttachVisitsOptions {
  io: SocketServer;
  gateway: Gateway;
  enabled: boolean;
  keysDir?: string;
  redisUrl?: string;
  logger: Logger;
}

/** The video-visit side of the hub. */
export interface VisitsHandle {
  readonly sfu?: SfuService;
  stop(): Promise<void>;
}

/**
 * Starts the SFU in the hub process and serves its `/visit` namespace. A missing mediasoup
 * worker is reported by the SFU as "video visits unavailable" and never stops the hub.
 */
export async function attachVisits(options: AttachVisitsOptions): Promise<VisitsHandle> {
  const log = options.logger.child({ module: 'hub:visits' });
  if (!options.enabled) {
    log.info('video visits disabled (SPARKDEN_SFU=off)');

    return { stop: () => Promise.resolve() };
  }

  const tokenKey = await loadOrCreateSecret(options.keysDir, 'visit-token', 32);
  const sfu = createSfuService({
    tokenKey,
    logger: options.logger,
    audit: (event) => options.gateway.audit(event),
  });
  const status = await sfu.start();
  if (!status.media.available) {
    log.warn({ reason: status.media.reason }, 'video visits unavailable');
  }
  sfu.attach(options.io);

  return { sfu, stop: () => sfu.stop() };
}
