/**
 * Throw this from a handler when retrying cannot help (bad input, a missing resource): the
 * job fails at once and goes to the dead letters. Any other error is retried with backoff.
 * Matched by name too, so an error from another copy of workmesh (or a port) counts.
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

export function isUnrecoverable(err: unknown): boolean {
  return err instanceof Error && err.name === 'UnrecoverableError';
}

/** What a RetryAfterError holds back: the job's type (every worker), or only its group. */
export type RetryAfterScope = 'type' | 'group';

/**
 * Throw this from a handler when an outside service asked to wait (an HTTP 429 with
 * Retry-After): the job goes back to wait without using an attempt, and its type (scope
 * `type`, the default) or its group (scope `group`; a job without a group holds its type)
 * starts nothing more for retryAfterMs, on every worker. Matched by name too.
 */
export class RetryAfterError extends Error {
  override readonly name = 'RetryAfterError';
  readonly retryAfterMs: number;
  readonly scope: RetryAfterScope;

  constructor(retryAfterMs: number, options: { scope?: RetryAfterScope; message?: string } = {}) {
    super(options.message ?? `retry after ${retryAfterMs} ms`);
    this.retryAfterMs = Math.max(0, Math.floor(retryAfterMs));
    this.scope = options.scope ?? 'type';
  }
}

/** The hold a handler asked for, or undefined when err is not a RetryAfterError. */
export function retryAfterOf(
  err: unknown,
): { readonly retryAfterMs: number; readonly scope: RetryAfterScope } | undefined {
  if (!(err instanceof Error) || err.name !== 'RetryAfterError') return undefined;
  const { retryAfterMs, scope } = err as Partial<RetryAfterError>;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs)) return undefined;
  return { retryAfterMs: Math.max(0, retryAfterMs), scope: scope === 'group' ? 'group' : 'type' };
}
