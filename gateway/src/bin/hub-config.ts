import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

import { isTimeZone } from '../billing/index.js';
import type { TurnOptions } from '../hub/turn-credentials.js';
import {
  FileReader,
  readBilling,
  readMetricsToken,
  readTurn,
  readUpstream,
  type ReadConfigFile,
} from './hub-config-files.js';

const port = z.coerce.number().int().min(0).max(65535);
const onOff = z.enum(['on', 'off']);
const path = z.string().min(1);
const days = z.coerce
  .number({ error: 'must be a whole number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day')
  .max(36_500, 'must be at most 36500 days');

/**
 * The hub's configuration, read from the environment. Every variable is optional; a value
 * that is present but wrong stops the start with a message naming the variable.
 */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  SPARKDEN_DATA_DIR: z.string().min(1).default('.data'),
  SPARKDEN_KEYS_DIR: path.optional(),
  SPARKDEN_HTTP_PORT: port.default(8080),
  SPARKDEN_HTTP_HOST: z.string().min(1).optional(),
  SPARKDEN_TLS_CERT: path.optional(),
  SPARKDEN_TLS_KEY: path.optional(),
  SPARKDEN_ALLOW_PLAIN_HTTP: onOff.default('off'),
  SPARKDEN_MQTT_PORT: port.default(8883),
  SPARKDEN_MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  SPARKDEN_CA_CERT: path.optional(),
  SPARKDEN_CA_KEY: path.optional(),
  SPARKDEN_MQTT_UPSTREAM_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^/]+$/, 'must be mqtts://host:port')
    .optional(),
  SPARKDEN_MQTT_UPSTREAM_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -')
    .optional(),
  SPARKDEN_MQTT_UPSTREAM_SHARE_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -')
    .optional(),
  SPARKDEN_MQTT_UPSTREAM_CERT: path.optional(),
  SPARKDEN_MQTT_UPSTREAM_KEY: path.optional(),
  SPARKDEN_MQTT_UPSTREAM_USERNAME: z.string().min(1).optional(),
  SPARKDEN_MQTT_UPSTREAM_PASSWORD_FILE: path.optional(),
  SPARKDEN_PUBLIC_URL: z.url().optional(),
  SPARKDEN_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  SPARKDEN_OIDC_ISSUER: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
    .optional(),
  SPARKDEN_OIDC_AUDIENCE: z.string().min(1).optional(),
  SPARKDEN_OIDC_CLOCK_TOLERANCE: z.coerce.number().int().min(0).max(600).optional(),
  SPARKDEN_SFU: onOff.default('on'),
  SPARKDEN_TURN_URLS: z.string().min(1).optional(),
  SPARKDEN_TURN_SECRET_FILE: path.optional(),
  SPARKDEN_TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).optional(),
  SPARKDEN_SFU_ANNOUNCED_ADDRESS: z.string().min(1).optional(),
  SPARKDEN_SFU_LISTEN_IP: z.ipv4().or(z.ipv6()).optional(),
  SPARKDEN_SFU_PORT: port.optional(),
  SPARKDEN_DEMO_MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^/]+$/, 'must be mqtts://host:port')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  SPARKDEN_WEBHOOK_URL: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
    .optional(),
  SPARKDEN_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  SPARKDEN_VITALS_RETENTION_DAYS: days.optional(),
  SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: days.optional(),
  SPARKDEN_BILLING_CONFIG_FILE: path.optional(),
  SPARKDEN_BILLING_TIME_ZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone name, e.g. America/New_York')
    .optional(),
  SPARKDEN_METRICS_TOKEN_FILE: path.optional(),
});

export type Env = z.infer<typeof envSchema>;

/** A certificate (chain) and its private key, as PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/** The hub as a client of an MQTT broker it does not run (Mosquitto, EMQX, HiveMQ). */
export interface UpstreamConfig {
  url: string;
  clientId: string;
  shareGroup?: string;
  /** The client certificate the hub presents to that broker (mutual TLS). */
  certPem?: string;
  keyPem?: string;
  username?: string;
  password?: string;
}

/** The parsed hub configuration. */
export interface HubConfig {
  databaseUrl?: string;
  dataDir: string;
  /** JWT, field-encryption and sealing keys (default `<dataDir>/keys`). */
  keysDir: string;
  httpPort: number;
  httpHost: string;
  /** HTTPS (TLS 1.3) on the HTTP port; plain HTTP when absent. */
  tls?: PemPair;
  mqttPort: number;
  mqttHost: string;
  /** A deployment CA; the hub makes a development CA under `dataDir` when absent. */
  ca?: PemPair;
  upstream?: UpstreamConfig;
  publicUrl?: string;
  logLevel: string;
  oidc?: { issuer: string; audience: string; clockToleranceSeconds?: number };
  sfu: boolean;
  sfuMedia: { announcedAddress?: string; listenIp?: string; port?: number };
  redisUrl?: string;
  demoMqttUrl?: string;
  /** Where alert events (raised, escalated, updated) are POSTed, signed with `secret`. */
  webhook?: { url: string; secret: string };
  /** Vitals kept this many days (unset: kept); TimescaleDB compresses after `compressAfterDays`. */
  vitals: { retentionDays?: number; compressAfterDays?: number };
  /** Payer contracts (a JSON file, validated here) and the practice's IANA time zone. */
  billing: { configFile?: string; timeZone?: string };
  /** TURN relays for visits behind strict NATs (coturn with `use-auth-secret`). */
  turn?: TurnOptions;
  /** The bearer token `/metrics` requires (from `SPARKDEN_METRICS_TOKEN_FILE`); open when absent. */
  metricsToken?: string;
}

/** A configuration value that is present but wrong. */
export class ConfigError extends Error {
  readonly code = 'CONFIG';

  constructor(readonly issues: string[]) {
    super(`invalid configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function readOidc(e: Env, issues: string[]): HubConfig['oidc'] {
  const issuer = e.SPARKDEN_OIDC_ISSUER;
  const audience = e.SPARKDEN_OIDC_AUDIENCE;
  if (issuer === undefined && audience === undefined) {
    return undefined;
  }
  if (issuer === undefined || audience === undefined) {
    issues.push('SPARKDEN_OIDC_ISSUER, SPARKDEN_OIDC_AUDIENCE: set both or neither');

    return undefined;
  }

  return { issuer, audience, clockToleranceSeconds: e.SPARKDEN_OIDC_CLOCK_TOLERANCE };
}

// Alert events carry patient ids: plain http only to a receiver on this host.
function readWebhook(e: Env, issues: string[]): HubConfig['webhook'] {
  const url = e.SPARKDEN_WEBHOOK_URL;
  const secret = e.SPARKDEN_WEBHOOK_SECRET;
  if (url === undefined && secret === undefined) {
    return undefined;
  }
  if (url === undefined || secret === undefined) {
    issues.push('SPARKDEN_WEBHOOK_URL, SPARKDEN_WEBHOOK_SECRET: set both or neither');

    return undefined;
  }
  const { protocol, hostname: host } = new URL(url);
  if (protocol === 'http:' && !LOOPBACK_HOSTS.has(host.replace(/^\[|\]$/g, ''))) {
    issues.push(`SPARKDEN_WEBHOOK_URL: plain http to ${host} would carry alerts in clear`);

    return undefined;
  }

  return { url, secret };
}

function readVitals(e: Env, issues: string[]): HubConfig['vitals'] {
  const retentionDays = e.SPARKDEN_VITALS_RETENTION_DAYS;
  const compressAfterDays = e.SPARKDEN_VITALS_COMPRESS_AFTER_DAYS;
  // Chunks dropped before they are compressed would be compressed for nothing.
  if (retentionDays !== undefined && compressAfterDays !== undefined) {
    if (compressAfterDays >= retentionDays) {
      issues.push(
        'SPARKDEN_VITALS_COMPRESS_AFTER_DAYS: must be less than SPARKDEN_VITALS_RETENTION_DAYS',
      );
    }
  }

  return { retentionDays, compressAfterDays };
}

/**
 * Reads the hub configuration from environment variables. Variables ending in `_CERT`,
 * `_KEY` and `_FILE` name files, read here so a wrong path stops the start at once.
 *
 * Plain HTTP is served only on loopback unless `SPARKDEN_ALLOW_PLAIN_HTTP=on` says a
 * TLS-terminating proxy stands in front: PHI never crosses a network in clear.
 *
 * @throws {ConfigError} naming each wrong variable.
 * @example
 * ```ts
 * const config = loadHubConfig(process.env);
 * ```
 */
export function loadHubConfig(
  env: NodeJS.ProcessEnv,
  read: ReadConfigFile = (file) => readFileSync(file, 'utf8'),
): HubConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }

  const e = result.data;
  const files = new FileReader(read);
  const tls = files.pair('SPARKDEN_TLS_CERT', 'SPARKDEN_TLS_KEY', e);
  const ca = files.pair('SPARKDEN_CA_CERT', 'SPARKDEN_CA_KEY', e);
  const upstream = readUpstream(e, files);
  const billing = readBilling(e, files);
  const metricsToken = readMetricsToken(e, files);
  const turn = readTurn(e, files);
  const issues = files.issues;
  const oidc = readOidc(e, issues);
  const webhook = readWebhook(e, issues);
  const vitals = readVitals(e, issues);
  const tlsWanted = e.SPARKDEN_TLS_CERT !== undefined;
  const httpHost = e.SPARKDEN_HTTP_HOST ?? (tlsWanted ? '0.0.0.0' : '127.0.0.1');
  if (!tlsWanted && e.SPARKDEN_ALLOW_PLAIN_HTTP === 'off' && !LOOPBACK_HOSTS.has(httpHost)) {
    issues.push(
      `SPARKDEN_HTTP_HOST: plain HTTP on ${httpHost} would carry PHI in clear; set ` +
        'SPARKDEN_TLS_CERT and SPARKDEN_TLS_KEY, or SPARKDEN_ALLOW_PLAIN_HTTP=on behind a TLS proxy',
    );
  }
  if (issues.length > 0) {
    throw new ConfigError(issues);
  }

  const dataDir = resolve(e.SPARKDEN_DATA_DIR);

  return {
    databaseUrl: e.DATABASE_URL,
    dataDir,
    keysDir: resolve(e.SPARKDEN_KEYS_DIR ?? `${dataDir}/keys`),
    httpPort: e.SPARKDEN_HTTP_PORT,
    httpHost,
    tls,
    mqttPort: e.SPARKDEN_MQTT_PORT,
    mqttHost: e.SPARKDEN_MQTT_HOST,
    ca,
    upstream,
    publicUrl: e.SPARKDEN_PUBLIC_URL,
    logLevel: e.SPARKDEN_LOG_LEVEL,
    oidc,
    sfu: e.SPARKDEN_SFU === 'on',
    sfuMedia: {
      announcedAddress: e.SPARKDEN_SFU_ANNOUNCED_ADDRESS,
      listenIp: e.SPARKDEN_SFU_LISTEN_IP,
      port: e.SPARKDEN_SFU_PORT,
    },
    redisUrl: e.REDIS_URL,
    demoMqttUrl: e.SPARKDEN_DEMO_MQTT_URL,
    webhook,
    turn,
    vitals,
    billing,
    metricsToken,
  };
}
