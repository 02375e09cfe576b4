import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

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
  SPARKDEN_HTTP_PORT: port.default(8080),
  SPARKDEN_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  SPARKDEN_MQTT_PORT: port.default(8883),
  SPARKDEN_MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  SPARKDEN_PUBLIC_URL: z.url().optional(),
  SPARKDEN_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  SPARKDEN_SFU: z.enum(['on', 'off']).default('on'),
  SPARKDEN_DEMO_MQTT_URL: z
    .string()
    .regex(/^mqtts?:\/\/[^/]+$/, 'must be mqtts://host:port')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
});

/** The parsed hub configuration. */
export interface HubConfig {
  databaseUrl?: string;
  dataDir: string;
  httpPort: number;
  httpHost: string;
  mqttPort: number;
  mqttHost: string;
  publicUrl?: string;
  logLevel: string;
  sfu: boolean;
  redisUrl?: string;
  demoMqttUrl?: string;
}

/** A configuration value that is present but wrong. */
export class ConfigError extends Error {
  readonly code = 'CONFIG';

  constructor(readonly issues: string[]) {
    super(`invalid configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the hub configuration from environment variables.
 *
 * @throws {ConfigError} naming each wrong variable.
 * @example
 * ```ts
 * const config = loadHubConfig(process.env);
 * ```
 */
export function loadHubConfig(env: NodeJS.ProcessEnv): HubConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }

  const e = result.data;

  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.SPARKDEN_DATA_DIR),
    httpPort: e.SPARKDEN_HTTP_PORT,
    httpHost: e.SPARKDEN_HTTP_HOST,
    mqttPort: e.SPARKDEN_MQTT_PORT,
    mqttHost: e.SPARKDEN_MQTT_HOST,
    publicUrl: e.SPARKDEN_PUBLIC_URL,
    logLevel: e.SPARKDEN_LOG_LEVEL,
    sfu: e.SPARKDEN_SFU === 'on',
    redisUrl: e.REDIS_URL,
    demoMqttUrl: e.SPARKDEN_DEMO_MQTT_URL,
  };
}
