// Standalone SFU node: `node --import tsx sfu/src/bin/start.ts`
// Env: SFU_PORT (default 4443), SFU_HOST (127.0.0.1), SFU_TOKEN_SECRET (base64, ≥32 bytes,
// shared with the gateway), SFU_ANNOUNCED_ADDRESS, SFU_RTC_BASE_PORT, SFU_LISTEN_IP,
// SFU_PUBLIC_URL + REDIS_URL (register load for placement), SFU_NODE_ID, LOG_LEVEL.
import { createServer } from 'node:http';
import { pino } from 'pino';
import { Server } from 'socket.io';
import { createSfuService } from '../service.js';

const env = process.env;
const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
const secret = Buffer.from(env.SFU_TOKEN_SECRET ?? '', 'base64');
if (secret.length < 32) {
  logger.fatal('SFU_TOKEN_SECRET must be base64 of at least 32 bytes');
  process.exit(1);
}

const sfu = createSfuService({
  tokenKey: secret,
  logger,
  onVisitEvent: (event) =>
    logger.info({ visitEvent: event.type, appointment: event.appointmentId }, 'visit event'),
  media: {
    listenIp: env.SFU_LISTEN_IP,
    announcedAddress: env.SFU_ANNOUNCED_ADDRESS,
    basePort: env.SFU_RTC_BASE_PORT ? Number(env.SFU_RTC_BASE_PORT) : undefined,
  },
  ...(env.REDIS_URL && env.SFU_PUBLIC_URL
    ? { cluster: { redis: env.REDIS_URL, url: env.SFU_PUBLIC_URL, nodeId: env.SFU_NODE_ID } }
    : {}),
});
const http = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sfu.status()));
  }
});
const io = new Server(http, { cors: { origin: env.SFU_CORS_ORIGIN?.split(',') ?? false } });
await sfu.start();
sfu.attach(io);
const port = Number(env.SFU_PORT ?? 4443);
http.listen(port, env.SFU_HOST ?? '127.0.0.1', () => logger.info({ port }, 'sfu listening'));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sfu
      .stop()
      .then(() => io.close())
      .then(() => process.exit(0));
  });
}
