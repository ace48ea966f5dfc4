import type { FastifyRequest } from 'fastify';

/**
 * The key that makes a write request safe to resend (docs/api.md, "Retrying a write"): fixed
 * by the route before its first Redis write, and sent back with every 5xx answer (header
 * `Idempotency-Key`, and `error.details.idempotencyKey`) by the error handler. A 5xx does not
 * say the write did not land (Redis may run a command after the API stopped waiting for it):
 * the same request resent with this key is never done twice.
 */
const RETRY_KEY = Symbol('workmesh.retryKey');

/**
 * Kept on the request itself: a WeakMap entry per request cost about 1 µs (the set and the
 * garbage collector's work on its ephemerons), a property 0.07.
 */
interface WithRetryKey {
  [RETRY_KEY]?: string;
}

export function setRetryKey(request: FastifyRequest, key: string): void {
  (request as unknown as WithRetryKey)[RETRY_KEY] = key;
}

export function retryKeyOf(request: FastifyRequest): string | undefined {
  return (request as unknown as WithRetryKey)[RETRY_KEY];
}

/** A key the API makes for a request that had none: `wm1.<what the write was fixed to>`. */
const MINTED = 'wm1.';

export function mintRetryKey(fixed: string): string {
  return `${MINTED}${fixed}`;
}

/** What a minted key fixed (a callback id, a cutoff time), or undefined for a client's key. */
export function mintedValue(key: string): string | undefined {
  return key.startsWith(MINTED) ? key.slice(MINTED.length) : undefined;
}
