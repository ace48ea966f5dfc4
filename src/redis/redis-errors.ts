import { WorkmeshError } from '../errors/index.js';

/**
 * The one place that tells "Redis cannot take this now, retry" from a real error. A master
 * failover (Cluster or Sentinel) or an outage shows up as any of these; every caller (the
 * API's and the console's 503, the worker loops' backoff) asks here.
 */

/** Error replies of a server that is failing over, loading, or cut off from its cluster. */
const TRANSIENT_REPLIES = [
  'MOVED', // slot moved to the promoted replica, not yet learned
  'ASK',
  'TRYAGAIN', // multi-key command during a slot migration
  'CLUSTERDOWN', // the cluster lost a master and has not promoted its replica yet
  'READONLY', // a write reached a replica (an old master demoted by Sentinel)
  'LOADING', // a restarted server still loading its data
  'MASTERDOWN', // a replica cut off from its master (replica-serve-stale-data no)
  'NOREPLICAS', // min-replicas-to-write not met
  'UNBLOCKED', // a blocked read cut off when its server changed role
  'BUSY', // a script over lua-time-limit
];
const TRANSIENT_REPLY_RE = new RegExp(`^(?:${TRANSIENT_REPLIES.join('|')})\\b`);

/** ioredis's own messages when a connection, the cluster or the sentinels are away. */
const CLIENT_MESSAGE_RE =
  /^(?:Connection is closed|Too many Cluster redirections|Reached the max retries per request|Stream isn't writeable|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|All sentinels are unreachable|Command timed out)/;

/** Socket errors: the server went away or cannot be reached. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Seconds a client is told to wait (Retry-After) before retrying a 503 of this kind. */
export const REDIS_RETRY_AFTER_SEC = 1;

/** Whether err means Redis is away or failing over: a call to retry later, not a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof WorkmeshError) return err.code === 'WM_ERR_REDIS_UNAVAILABLE';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return true;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return TRANSIENT_REPLY_RE.test(err.message) || CLIENT_MESSAGE_RE.test(err.message);
}

/**
 * The WorkmeshError a Redis failure stands for: WM_ERR_REDIS_UNAVAILABLE for an outage or a
 * failover, WM_ERR_REDIS_FULL for maxmemory with noeviction; undefined for anything else (a
 * bug, a bad script reply: the caller's own error handling applies).
 */
export function redisErrorOf(err: unknown): WorkmeshError | undefined {
  if (err instanceof WorkmeshError) return undefined;
  if (err instanceof Error && /\bOOM\b/.test(err.message)) {
    return new WorkmeshError(
      'WM_ERR_REDIS_FULL',
      'Redis is out of memory; nothing was written. Retry later',
      { cause: err },
    );
  }
  if (!isRedisUnavailable(err)) return undefined;
  return new WorkmeshError('WM_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; retry later', {
    cause: err,
  });
}
