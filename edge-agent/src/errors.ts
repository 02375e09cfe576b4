/** Codes an {@link AgentError} carries; callers branch on these, never on message text. */
export type AgentErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'NOT_ENROLLED'
  | 'ENROLL_REFUSED'
  | 'ENROLL_FAILED'
  | 'QUEUE_CORRUPT'
  | 'DISK_FULL'
  | 'QUEUE_CLOSED'
  | 'STATE_UNREADABLE'
  | 'REVOKED'
  | 'UNKNOWN_DRIVER';

/**
 * A failure of the agent with a fixed `code`. The message never carries PHI.
 *
 * @example
 * ```ts
 * throw new AgentError('DISK_FULL', 'queue database has no free page', { cause });
 * ```
 */
export class AgentError extends Error {
  readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, options?: ErrorOptions) {
    super(`${code}: ${message}`, options);
    this.name = 'AgentError';
    this.code = code;
  }
}

/** One problem in a config file, placed by line and column (1-based) and field path. */
export interface ConfigIssue {
  line?: number;
  column?: number;
  /** Dotted field path, `devices.2.baudRate`. */
  field: string;
  message: string;
}

/** A config file that does not parse or does not match the schema. Lists every issue. */
export class ConfigError extends AgentError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;

  constructor(file: string, issues: readonly ConfigIssue[]) {
    const lines = issues.map(
      (i) => `${file}:${i.line ?? '?'}:${i.column ?? '?'} ${i.field}: ${i.message}`,
    );
    super('CONFIG_INVALID', lines.join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}

/** Thrown by a method called after `close()`/`stop()`. */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/**
 * An error's code for a log line: its `code` (a string or a protocol number), else its class
 * name; never its message, which may quote data.
 *
 * @example
 * ```ts
 * log.warn({ event: 'deviceStopFailed', code: codeOf(error) }, 'device did not stop cleanly');
 * ```
 */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' || typeof code === 'number') {
    return String(code);
  }

  return error instanceof Error ? error.name : 'UNKNOWN';
}
