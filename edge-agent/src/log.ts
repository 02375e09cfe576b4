import { pino, type DestinationStream, type Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level?: string;
  /** Where JSON lines go (default stdout). */
  destination?: DestinationStream;
}

/**
 * The agent's root pino logger. Modules take a child (`{ module: 'edge-agent:queue' }`).
 * Never pass a patient id, a value or a token to it.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' }).child({ module: 'edge-agent:uplink' });
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? process.env.SPARKDEN_LOG_LEVEL ?? 'info';

  return pino(
    { level, base: { service: 'edge-agent' } },
    options.destination ?? pino.destination(1),
  );
}

export type { Logger };
