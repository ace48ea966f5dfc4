import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { SCRIPT_NAMES, defineScripts } from './scripts.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ConnectOptions {
  /** A connection for blocking reads: no auto-pipelining, no command timeout. */
  readonly blocking?: boolean;
  /** Name shown by CLIENT LIST, to tell workmesh's connections apart. */
  readonly name?: string;
}

/**
 * A connection that reconnects forever with capped backoff and logs its errors once per
 * change of state, so a Redis outage is visible but never crashes the process.
 */
export function connectRedis(
  url: string | undefined,
  log: Logger,
  options: ConnectOptions = {},
): Redis {
  const redisOptions: RedisOptions = {
    connectionName: options.name ?? 'workmesh',
    enableAutoPipelining: options.blocking !== true,
    // A script call carries a batch already (one event-loop turn's jobs): sent at once, it
    // skips the auto-pipeline's extra setImmediate, which under load adds a loop's worth of
    // latency to every job.
    autoPipeliningIgnoredCommands: SCRIPT_NAMES.map((name) => `wm_${name}`),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
  const redis = new Redis(url ?? DEFAULT_REDIS_URL, redisOptions);
  defineScripts(redis);
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message }, 'redis connection error; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection back');
    down = false;
  });
  return redis;
}
