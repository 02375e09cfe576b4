import type { Logger } from 'pino';

/** What an error becomes in the alerting service's logs. */
export interface SafeError {
  type: string;
  /** SQLSTATE for a PostgreSQL error, else the error's own `code` when it has one. */
  code?: string;
  message?: string;
  /** Names of the schema objects a PostgreSQL error is about: never values. */
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  stack?: string;
  cause?: SafeError;
}

// [PostgreSQL protocol: ErrorResponse fields] a server error has a severity and a
// five-character SQLSTATE; its detail, where, hint and internal query can quote key
// values and parameters, so only object names and the code are kept.
function isDatabaseError(e: Record<string, unknown>): boolean {
  return (
    typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
  );
}

const MAX_DEPTH = 4;

/**
 * A pino `err` serializer that never logs what PostgreSQL quotes back (`detail` such as
 * `Key (fingerprint)=(spo2-low|p-1|spo2) already exists`, `where`, `hint`, the query and
 * its parameters): a database error logs its SQLSTATE and the objects it names; any other
 * error its type, code, message and stack.
 *
 * @example
 * ```ts
 * const log = pino({ serializers: { err: serializeSafeError } });
 * ```
 */
export function serializeSafeError(err: unknown, depth = 0): SafeError {
  if (typeof err !== 'object' || err === null) {
    return { type: typeof err };
  }

  const e = err as Record<string, unknown>;
  // pg names its server errors 'error': the class name says more.
  const ctor = (err as { constructor?: { name?: string } }).constructor?.name;
  const named = typeof e.name === 'string' ? e.name : 'Object';
  const type = ctor !== undefined && ctor !== 'Object' ? ctor : named;
  const cause =
    depth < MAX_DEPTH && e.cause !== undefined ? serializeSafeError(e.cause, depth + 1) : undefined;
  if (isDatabaseError(e)) {
    const names = ['schema', 'table', 'column', 'constraint'] as const;
    const picked = Object.fromEntries(
      names.flatMap((k) => (typeof e[k] === 'string' ? [[k, e[k]]] : [])),
    );

    return { type, code: e.code as string, ...picked, cause };
  }

  return {
    type,
    code: typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined,
    message: typeof e.message === 'string' ? e.message : undefined,
    stack: typeof e.stack === 'string' ? e.stack : undefined,
    cause,
  };
}

/**
 * A child logger of the alerting service for one module (`alerting:engine`), whose `err`
 * is serialized by {@link serializeSafeError}.
 */
export function alertingLogger(base: Logger, module: string): Logger {
  return base.child({ module }, { serializers: { err: (e: unknown) => serializeSafeError(e) } });
}
