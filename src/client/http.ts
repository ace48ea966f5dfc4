import { WorkmeshError, catalogue, type ErrorCode } from '../errors/index.js';

/**
 * The client's HTTP layer: fetch only (no `node:` import, so the client runs unchanged in
 * Node, browsers, Deno and Bun), a deadline and an AbortSignal on every call, and 429/503
 * retried with backoff that honours Retry-After.
 */

/** Options every call takes; the client's options give their defaults. */
export interface CallOptions {
  /** The whole call, its retries and their pauses included (client default 30 s). */
  readonly timeoutMs?: number;
  /** Aborts the call: it then throws WM_ERR_CLIENT_ABORTED. */
  readonly signal?: AbortSignal;
  /** Retries of a 429 or 503 answer, each after Retry-After or the backoff (client default 3). */
  readonly retries?: number;
}

export interface HttpSettings {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  /** First backoff pause when the answer has no Retry-After; doubles each retry. */
  readonly retryDelayMs: number;
  /** No pause is longer than this, whatever Retry-After says. */
  readonly maxRetryDelayMs: number;
  readonly signal: AbortSignal | undefined;
  readonly fetch: typeof fetch;
}

/** HTTP statuses worth another try: too many requests, service unavailable (Redis away). */
const RETRIED = new Set([429, 503]);

/** One call's deadline and abort, joined into one signal, and what ended it. */
export class CallScope {
  readonly signal: AbortSignal;
  private readonly timeout: AbortSignal | undefined;

  /** No deadline when timeoutMs is undefined (an event stream that may run for hours). */
  constructor(
    readonly timeoutMs: number | undefined,
    private readonly caller: AbortSignal | undefined,
    timeout?: AbortSignal,
    part?: AbortSignal,
  ) {
    this.timeout =
      timeout ?? (timeoutMs === undefined ? undefined : AbortSignal.timeout(Math.ceil(timeoutMs)));
    const signals = [caller, this.timeout, part].filter((s) => s !== undefined);
    this.signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  }

  /** The same call, also ended by `part` (one connection of an event stream, say). */
  within(part: AbortSignal): CallScope {
    return new CallScope(this.timeoutMs, this.caller, this.timeout, part);
  }

  /** Whether the caller aborted or the deadline passed (not only a part of the call). */
  get ended(): boolean {
    return Boolean(this.caller?.aborted || this.timeout?.aborted);
  }

  /** The error for an ended call: the caller's abort wins over the deadline. */
  error(what: string, details?: Record<string, unknown>): WorkmeshError {
    if (this.caller?.aborted) {
      return new WorkmeshError('WM_ERR_CLIENT_ABORTED', `${what}: aborted`, {
        cause: this.caller.reason,
        ...(details ? { details } : {}),
      });
    }
    if (this.timeout?.aborted) {
      return new WorkmeshError(
        'WM_ERR_CLIENT_TIMEOUT',
        `${what}: not finished in ${this.timeoutMs} ms`,
        details ? { details } : {},
      );
    }
    return new WorkmeshError('WM_ERR_CLIENT_HTTP', `${what}: connection dropped`);
  }
}

/** Settings of one call: the call's options over the client's. */
export function scopeOf(settings: HttpSettings, options: CallOptions): CallScope {
  return new CallScope(
    options.timeoutMs ?? settings.timeoutMs,
    callerSignal(settings.signal, options.signal),
  );
}

/** The client's and the call's signals as one (either aborts). */
export function callerSignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const set = signals.filter((s) => s !== undefined);
  return set.length > 1 ? AbortSignal.any(set) : set[0];
}

/** Resolves after ms, or rejects when the signal fires (timers of the platform, not `node:`). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const done = (): void => {
      signal.removeEventListener('abort', aborted);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const aborted = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; undefined when absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The pause before retry `n` (0-based): Retry-After if given, else exponential with jitter. */
export function retryDelayMs(settings: HttpSettings, n: number, response: Response): number {
  const asked = retryAfterMs(response.headers.get('retry-after'));
  const backoff = settings.retryDelayMs * 2 ** n * (0.5 + Math.random() / 2);
  return Math.min(asked ?? backoff, settings.maxRetryDelayMs);
}

export interface Sent {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * Sends a request and answers the response of the first try that is not a 429 or 503 (or
 * the last one's, when retries run out); network failures, the deadline and aborts throw.
 * A failed connection is not tried again: a write may have landed, and only a 503 tells.
 */
export async function send(
  settings: HttpSettings,
  scope: CallScope,
  request: Sent,
  retries: number,
): Promise<Response> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (settings.token) headers.authorization = `Bearer ${settings.token}`;
  const what = `${request.method} ${request.path}`;
  for (let n = 0; ; n++) {
    let response: Response;
    try {
      response = await settings.fetch(settings.baseUrl + request.path, {
        method: request.method,
        headers,
        signal: scope.signal,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
    } catch (err) {
      if (scope.ended) throw scope.error(what);
      throw new WorkmeshError(
        'WM_ERR_CLIENT_HTTP',
        `cannot reach ${settings.baseUrl}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!RETRIED.has(response.status) || n >= retries) return response;
    // A 503 of a write that may have landed names the key that makes resending it safe: the
    // API then answers the job it made, never a second one.
    const key = response.headers.get('idempotency-key');
    if (key !== null && request.method !== 'GET') headers['idempotency-key'] = key;
    const delay = retryDelayMs(settings, n, response);
    await response.body?.cancel();
    try {
      await pause(delay, scope.signal);
    } catch {
      throw scope.error(what, { httpStatus: response.status, retries: n });
    }
  }
}

/** The body as JSON; a body that is not JSON is WM_ERR_CLIENT_HTTP. */
export async function readJson(
  response: Response,
  scope: CallScope,
  what: string,
): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    if (scope.ended) throw scope.error(what);
    throw new WorkmeshError('WM_ERR_CLIENT_HTTP', `${what}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new WorkmeshError('WM_ERR_CLIENT_HTTP', `${what}: HTTP ${response.status}, not JSON`);
  }
}

/** The API's error body as a WorkmeshError with its catalogue code (else WM_ERR_CLIENT_HTTP). */
export async function errorOf(
  response: Response,
  scope: CallScope,
  what: string,
): Promise<WorkmeshError> {
  let json: unknown;
  try {
    json = await readJson(response, scope, what);
  } catch (err) {
    if (scope.ended) throw err;
    json = {};
  }
  const error = (
    json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
  ).error;
  const code =
    error?.code && error.code in catalogue ? (error.code as ErrorCode) : 'WM_ERR_CLIENT_HTTP';
  return new WorkmeshError(code, error?.message ?? `${what}: HTTP ${response.status}`, {
    details: { httpStatus: response.status, ...(error?.details ?? {}) },
  });
}
