// Standalone SFU node: `node --import tsx sfu/src/bin/start.ts`
// Env: SFU_PORT (default 4443), SFU_HOST (127.0.0.1), SFU_TOKEN_SECRET (base64, ≥32 bytes,
// shared with the gateway), SFU_ANNOUNCED_ADDRESS, SFU_RTC_BASE_PORT, SFU_LISTEN_IP,
// SFU_PUBLIC_URL + REDIS_URL (register load for placement), SFU_NODE_ID, SFU_CORS_ORIGIN,
// LOG_LEVEL. `sparkden start --role sfu` runs the same node from the hub's configuration.
import { pino } from 'pino';

import { startSfuNode } from '../sfu-node.js';

const env = process.env;
const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
const secret = Buffer.from(env.SFU_TOKEN_SECRET ?? '', 'base64');
if (secret.length < 32) {
  logger.fatal('SFU_TOKEN_SECRET must be base64 of at least 32 bytes');
  process.exit(1);
}

const node = await startSfuNode({
  tokenKey: secret,
  port: Number(env.SFU_PORT ?? 4443),
  host: env.SFU_HOST,
  logger,
  // NOTE: a node on its own has no database: visit events go to the log as opaque ids, and
  // the Encounter and minutes ledger are written by hubs that embed their SFU.
  onVisitEvent: (event) =>
    logger.info({ visitEvent: event.type, appointment: event.appointmentId }, 'visit event'),
  media: {
    listenIp: env.SFU_LISTEN_IP,
    announcedAddress: env.SFU_ANNOUNCED_ADDRESS,
    basePort: env.SFU_RTC_BASE_PORT ? Number(env.SFU_RTC_BASE_PORT) : undefined,
  },
  cluster:
    env.REDIS_URL && env.SFU_PUBLIC_URL
      ? { redisUrl: env.REDIS_URL, publicUrl: env.SFU_PUBLIC_URL, nodeId: env.SFU_NODE_ID }
      : undefined,
  corsOrigins: env.SFU_CORS_ORIGIN?.split(','),
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void node.stop().then(() => process.exit(0));
  });
}
