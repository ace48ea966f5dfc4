import type { Logger } from 'pino';
import { isRedisUnavailable } from './redis-errors.js';

/**
 * One warning when Redis becomes unavailable (an outage, a failover) and one line when it is
 * back, for the whole process, instead of one line per failed call of every loop: a worker's
 * claim, promote, reclaim, renew and heartbeat loops all fail together during a failover.
 */
export class RedisOutageLog {
  private since: number | undefined;
  private failedCalls = 0;

  /**
   * Notes a failed call of `what`. Answers true when the error means Redis is away (noted,
   * logged once per outage); false for any other error, which the caller reports itself.
   */
  failed(log: Logger, what: string, err: unknown): boolean {
    if (!isRedisUnavailable(err)) return false;
    this.failedCalls += 1;
    if (this.since === undefined) {
      this.since = performance.now();
      log.warn(
        { err: (err as Error).message, loop: what },
        'redis unavailable (outage or failover); retrying with backoff until it is back',
      );
    }
    return true;
  }

  /** Notes a call that worked: ends the outage, if one was going on, with one line. */
  succeeded(log: Logger): void {
    if (this.since === undefined) return;
    log.warn(
      { outageMs: Math.round(performance.now() - this.since), failedCalls: this.failedCalls },
      'redis available again',
    );
    this.since = undefined;
    this.failedCalls = 0;
  }

  /** Whether an outage is going on (a call failed as unavailable, none worked since). */
  get down(): boolean {
    return this.since !== undefined;
  }
}

/** The process's one outage log: every loop of every component shares it. */
export const redisOutage = new RedisOutageLog();
