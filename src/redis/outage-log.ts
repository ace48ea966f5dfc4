import type { Logger } from 'pino';

/** Any logger with pino's warn (a Fastify request's too). */
type WarnLogger = Pick<Logger, 'warn'>;
import { isRedisUnavailable } from './redis-errors.js';

/**
 * Calls must work this long without one failing before an outage counts as over: longer than
 * the slowest loop's retry (the claim loop backs off up to 2 s), so on a Cluster, where calls
 * to the masters still up keep working while one fails over, the outage is not ended and
 * begun again with every call.
 */
const QUIET_MS = 3000;

/**
 * One warning when Redis becomes unavailable (an outage, a failover) and one line when it is
 * back, for the whole process, instead of one line per failed call of every loop: a worker's
 * claim, promote, reclaim, renew and heartbeat loops all fail together during a failover.
 */
export class RedisOutageLog {
  private since: number | undefined;
  private lastFailureAt = 0;
  private failedCalls = 0;

  /**
   * Notes a failed call of `what`. Answers true when the error means Redis is away (noted,
   * logged once per outage); false for any other error, which the caller reports itself.
   */
  failed(log: WarnLogger, what: string, err: unknown): boolean {
    if (!isRedisUnavailable(err)) return false;
    this.failedCalls += 1;
    this.lastFailureAt = performance.now();
    if (this.since === undefined) {
      this.since = this.lastFailureAt;
      log.warn(
        { err: (err as Error).message, loop: what },
        'redis unavailable (outage or failover); retrying with backoff until it is back',
      );
    }
    return true;
  }

  /** Notes a call that worked: ends the outage once calls have worked for a while. */
  succeeded(log: WarnLogger): void {
    if (this.since === undefined) return;
    const now = performance.now();
    if (now - this.lastFailureAt < QUIET_MS) return;
    log.warn(
      { outageMs: Math.round(this.lastFailureAt - this.since), failedCalls: this.failedCalls },
      'redis available again',
    );
    this.since = undefined;
    this.failedCalls = 0;
  }
}

/** The process's one outage log: every loop of every component shares it. */
export const redisOutage = new RedisOutageLog();
