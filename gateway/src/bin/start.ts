/**
 * `npm start` / `sparkden start`: the whole hub in one process. By default on the embedded
 * database with a demo agent and a simulated oximeter, printing the console URL and one
 * demo user per role. Configuration comes from the environment (see README).
 *
 * Flags: `--no-demo` (no demo agent, no demo users), `--role hub|sfu`: `sfu` runs only a
 * video-visit SFU node (mediasoup, signaling, health, metrics), registered in Redis for placement.
 */
import { startSfuNode } from '@sparkden/sfu';
import { ensureWebClientBuilt } from '@sparkden/web-client';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';

import { loadOrCreateSecret } from '../crypto/secrets.js';

import { startHub, type Hub } from '../hub.js';
import { startTracing } from '../ops/tracing.js';
import { ConfigError, loadHubConfig, type HubConfig } from './hub-config.js';
import { createSfuMetricsListener } from './role-sfu-metrics.js';
import { printWelcome } from './welcome.js';

function fail(message: string): never {
  process.stderr.write(`sparkden: ${message}\n`);
  process.exit(78);
}

// The web client is a Vite build; a fresh clone has none until the first start makes it
// (rebuilt only when missing or older than its sources).
async function ensureWebClient(): Promise<void> {
  try {
    await ensureWebClientBuilt({ silent: true });
  } catch (error) {
    process.stderr.write(`sparkden: web client build failed (${String(error)}); the API runs on\n`);
  }
}

// An SFU node of a larger deployment: it shares the hub's keys (the visit-token secret) and
// Redis; the gateways place visits on it and hand out its URL, and record its visit events and
// audit records from the `sd:sfu:events` stream.
async function startSfuRole(config: HubConfig, logger: Logger): Promise<void> {
  if (config.redisUrl !== undefined && config.publicUrl === undefined) {
    fail('--role sfu with REDIS_URL needs SPARKDEN_PUBLIC_URL, the URL browsers reach it at');
  }
  const tokenKey = await loadOrCreateSecret(config.keysDir, 'visit-token', 32);
  const node = await startSfuNode({
    tokenKey,
    port: config.httpPort,
    host: config.httpHost,
    tls: config.tls,
    logger,
    media: {
      announcedAddress: config.sfuMedia.announcedAddress,
      listenIp: config.sfuMedia.listenIp,
      basePort: config.sfuMedia.port,
    },
    cluster:
      config.redisUrl === undefined || config.publicUrl === undefined
        ? undefined
        : { redisUrl: config.redisUrl, publicUrl: config.publicUrl },
    routes: (sfu) => ({
      '/metrics': createSfuMetricsListener(sfu, { token: config.metricsToken, logger }),
    }),
  });
  const status = node.sfu.status();
  if (!status.media.available) {
    logger.warn({ reason: status.media.reason }, 'sfu node up without media');
  }
  if (config.redisUrl === undefined) {
    // Visit events reach the hubs' Encounters, ledger and audit trail only through Redis.
    logger.warn('sfu node without REDIS_URL: its visits are not recorded by any hub');
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void node.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'no-demo': { type: 'boolean' }, role: { type: 'string', default: 'hub' } },
  });
  if (values.role !== 'hub' && values.role !== 'sfu') {
    fail(`--role must be "hub" or "sfu", not "${values.role}"`);
  }
  let config;
  try {
    config = loadHubConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : String(error));
  }
  const logger = pino({ name: 'sparkden', level: config.logLevel });
  if (values.role === 'sfu') {
    await startSfuRole(config, logger);

    return;
  }
  await ensureWebClient();
  // Spans go to OTEL_EXPORTER_OTLP_ENDPOINT when it is set; otherwise tracing is a no-op.
  const tracing = startTracing();
  if (tracing.enabled) {
    logger.info('traces exported over OTLP/HTTP');
  }

  let hub: Hub;
  try {
    hub = await startHub({
      dataDir: config.dataDir,
      keysDir: config.keysDir,
      tls: config.tls,
      ca: config.ca,
      mqttUpstream: config.upstream,
      oidc: config.oidc,
      databaseUrl: config.databaseUrl,
      httpPort: config.httpPort,
      httpHost: config.httpHost,
      mqttPort: config.mqttPort,
      mqttHost: config.mqttHost,
      publicUrl: config.publicUrl,
      redisUrl: config.redisUrl,
      demoMqttUrl: config.demoMqttUrl,
      webhook: config.webhook,
      vitals: config.vitals,
      turn: config.turn,
      billingConfigFile: config.billing.configFile,
      billingTimeZone: config.billing.timeZone,
      metricsToken: config.metricsToken,
      sfu: config.sfu,
      sfuMedia: {
        announcedAddress: config.sfuMedia.announcedAddress,
        listenIp: config.sfuMedia.listenIp,
        basePort: config.sfuMedia.port,
      },
      demo: values['no-demo'] !== true,
      logger,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'hub failed to start');
    process.exit(1);
  }
  printWelcome(
    hub,
    config.databaseUrl === undefined ? `PGlite in ${config.dataDir}/pg` : 'PostgreSQL',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    void hub
      .stop()
      .then(() => tracing.stop())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
