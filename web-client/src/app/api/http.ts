import { session } from './session.js';

/**
 * The codes an {@link ApiError} carries. `NETWORK` when the hub could not be reached,
 * `UNAUTHORIZED` when the session is gone, `FORBIDDEN` when the role may not do it,
 * `NOT_FOUND`, `CONFLICT` (a stale version or a state change someone else made first),
 * `INVALID` for a rejected input, `SERVER` for anything else the hub failed at.
 */
export type ApiErrorCode =
  'NETWORK' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'SERVER';

/** A failed call to the hub, with a fixed `code` to branch on and the hub's own message. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;

  constructor(code: ApiErrorCode, message: string, status = 0, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

/** Options of {@link requestJson}. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Send `body` as `application/x-www-form-urlencoded` (OAuth token endpoint). */
  form?: Record<string, string>;
  /** Send no bearer token (login, refresh). */
  anonymous?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function codeForStatus(status: number): ApiErrorCode {
  if (status === 401) {
    return 'UNAUTHORIZED';
  }
  if (status === 403) {
    return 'FORBIDDEN';
  }
  if (status === 404) {
    return 'NOT_FOUND';
  }
  if (status === 409 || status === 412) {
    return 'CONFLICT';
  }

  return status >= 400 && status < 500 ? 'INVALID' : 'SERVER';
}

/**
 * Reads a message from a JSON error body: an OAuth error, `{ message }`, `{ error: { message } }`
 * or a FHIR OperationOutcome.
 */
export function readErrorMessage(body: unknown, fallback: string): string {
  if (typeof body !== 'object' || body === null) {
    return fallback;
  }

  const b = body as {
    error_description?: unknown;
    message?: unknown;
    error?: unknown;
    issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
  };
  // [RFC 6749 5.2: error_description]
  if (typeof b.error_description === 'string') {
    return b.error_description;
  }
  if (typeof b.message === 'string') {
    return b.message;
  }
  if (typeof b.error === 'string') {
    return b.error;
  }
  if (typeof b.error === 'object' && b.error !== null) {
    const inner = (b.error as { message?: unknown }).message;
    if (typeof inner === 'string') {
      return inner;
    }
  }
  const issue = b.issue?.[0];

  return issue?.diagnostics ?? issue?.details?.text ?? fallback;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const token = session.accessToken();
  if (!options.anonymous && token) {
    headers.authorization = `Bearer ${token}`;
  }
  let body: string | undefined;
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }

  try {
    return await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    });
  } catch (error) {
    throw new ApiError('NETWORK', 'The hub could not be reached.', 0, { cause: error });
  }
}

/**
 * Calls the hub and parses its JSON answer. On a 401 with a session it refreshes the access
 * token once and retries; a second 401 ends the session.
 *
 * @throws {ApiError} with a fixed `code`.
 * @example
 * ```ts
 * const agents = await requestJson<AgentList>('/api/fleet/agents');
 * ```
 */
export async function requestJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(path, options);
  if (response.status === 401 && !options.anonymous && session.current()) {
    const refreshed = await session.refresh();
    if (refreshed) {
      response = await send(path, options);
    }
  }

  const text = await response.text();
  let parsed: unknown = undefined;
  let notJson = false;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      notJson = true;
    }
  }
  if (!response.ok) {
    const code = codeForStatus(response.status);
    if (code === 'UNAUTHORIZED' && !options.anonymous) {
      session.expire('unauthorized');
    }
    throw new ApiError(code, readErrorMessage(parsed, response.statusText), response.status);
  }
  if (notJson) {
    // An HTML page where JSON was due: a route the hub does not have (the static fallback).
    throw new ApiError('NOT_FOUND', `The hub has no ${path.split('?')[0]} endpoint.`, 404);
  }

  return parsed as T;
}
