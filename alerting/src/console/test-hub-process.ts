/**
 * A hub process for tests that kill it: the alerting service against a real PostgreSQL,
 * with the `/console` namespace on a loopback HTTP port. Prints one JSON line on stdout
 * when it is ready: `{ mqttPort, consoleUrl, agent? }`. Not part of the package's surface.
 *
 * Env: `SD_HUB_DATA_DIR`, `SD_HUB_DATABASE_URL` (both required), `SD_HUB_ENROLL=1` to enroll
 * a test agent and print its credentials (test keys only, never a real deployment's).
 *
 * @example
 * ```sh
 * SD_HUB_DATA_DIR=/tmp/x SD_HUB_DATABASE_URL=postgres://… node --import tsx test-hub-process.ts
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino } from 'pino';
import { Server } from 'socket.io';

import type { Principal } from '../api/principal.js';
import { enrollTestAgent } from '../fleet/index.js';
import { createAlertingService } from '../service.js';
import { attachConsole } from './console-namespace.js';

const dataDir = process.env.SD_HUB_DATA_DIR;
const databaseUrl = process.env.SD_HUB_DATABASE_URL;
if (dataDir === undefined || databaseUrl === undefined) {
  throw new TypeError('"SD_HUB_DATA_DIR" and "SD_HUB_DATABASE_URL" must be set');
}

const NURSE: Principal = { sub: 'nurse-k', role: 'nurse', units: ['*'] };
const service = await createAlertingService({
  dataDir,
  databaseUrl,
  mqtt: { port: 0, host: '127.0.0.1' },
  logger: pino({ enabled: false }),
});
const engine = service.engine;
if (engine === undefined) {
  throw new TypeError('the test hub needs its engine');
}
const http = createServer();
const io = new Server(http);
await attachConsole(io, {
  engine,
  authenticate: (token) =>
    token === 'tok-nurse' ? Promise.resolve(NURSE) : Promise.reject(new Error('bad token')),
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const { mqtt } = await service.start();
const agent = process.env.SD_HUB_ENROLL === '1' ? await enrollTestAgent(service.fleet) : undefined;
const { port } = http.address() as AddressInfo;

process.stdout.write(
  `${JSON.stringify({
    mqttPort: mqtt.tls,
    consoleUrl: `http://127.0.0.1:${port}/console`,
    agent:
      agent === undefined
        ? undefined
        : { ...agent, sealingKey: Buffer.from(agent.sealingKey).toString('hex') },
  })}\n`,
);

process.once('SIGTERM', () => {
  void io
    .close()
    .then(() => service.stop())
    .then(() => process.exit(0));
});
