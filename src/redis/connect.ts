import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { redisOutage } from './outage-log.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';
import { SCRIPT_NAMES, defineScripts } from './scripts.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ConnectOptions {
  /** A connection for blocking reads: no auto-pipelining, no command timeout. */
  readonly blocking?: boolean;
  /** Name shown by CLIENT LIST, to tell workmesh's connections apart. */
  readonly name?: string;
}

type ErrorListener = (err: Error) => void;
const errorListeners = new Set<ErrorListener>();

/**
 * Calls listener on every error of every connection connectRedis makes in this process (the
 * metrics count them); answers a function that removes it.
 */
export function onRedisError(listener: ErrorListener): () => void {
  errorListeners.add(listener);
  return () => errorListeners.delete(listener);
}

const backoffMs = (times: number): number => Math.min(100 * 2 ** Math.min(times, 5), 2000);

function open(target: RedisTarget | undefined, redisOptions: RedisOptions): Redis {
  if (target === undefined || target.kind === 'single') {
    return new Redis(target?.url ?? DEFAULT_REDIS_URL, redisOptions);
  }
  const auth = {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
  if (target.kind === 'sentinel') {
    // ioredis asks the sentinels for the master at every (re)connect and checks its role; a
    // demoted master's READONLY reconnects (reconnectOnError). Not its failoverDetector: a
    // +switch-master that arrives while a reconnect is under way ends the connection for good
    // ("Connection is closed." forever; seen in test/ha/failover.test.ts with ioredis 5.9).
    return new Redis({
      ...redisOptions,
      ...auth,
      sentinels: target.sentinels,
      name: target.masterName,
      db: target.db,
      ...(target.sentinelUsername === undefined
        ? {}
        : { sentinelUsername: target.sentinelUsername }),
      ...(target.sentinelPassword === undefined
        ? {}
        : { sentinelPassword: target.sentinelPassword }),
      ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: backoffMs,
    });
  }
  // A Cluster answers the same commands as a single connection (routed by key slot) and
  // workmesh's keys and scripts stay within one slot each, so the rest of the code takes it as
  // a Redis; the few per-node commands go through forEachMaster().
  return new Cluster(target.seeds, {
    // ioredis picks an auto-pipeline's node from the first argument, which for XGROUP
    // CREATE or a script call is not the key: answered MOVED. Scripts batch per turn anyway.
    enableAutoPipelining: false,
    clusterRetryStrategy: backoffMs,
    redisOptions: {
      ...redisOptions,
      enableAutoPipelining: false,
      ...auth,
      ...(target.tls ? { tls: {} } : {}),
    },
  }) as unknown as Redis;
}

/**
 * A connection that reconnects forever with capped backoff and logs its errors once per
 * change of state, so a Redis outage is visible but never crashes the process.
 */
export function connectRedis(
  url: string | RedisOptions | undefined,
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
    retryStrategy: backoffMs,
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
  // ioredis options of the application's own (the producer API, an embedded worker): its host,
  // port, TLS, password; workmesh's own settings above win, and no keyPrefix (scripts name
  // their keys themselves).
  const redis =
    typeof url === 'object'
      ? new Redis({ ...url, ...redisOptions, keyPrefix: '' })
      : open(url === undefined ? undefined : parseRedisUrl(url), redisOptions);
  defineScripts(redis);
  let down = false;
  redis.on('error', (err: Error) => {
    for (const listener of errorListeners) listener(err);
    // An outage or failover is logged once for the process (redisOutage); other errors (a
    // refused password, say) once per connection until it is ready again.
    if (!redisOutage.failed(log, 'connection', err) && !down)
      log.warn({ err: err.message }, 'redis connection error; reconnecting');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection back');
    down = false;
  });
  return redis;
}

/** Whether this connection is a Redis Cluster client (see connectRedis). */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown) instanceof Cluster;
}

/**
 * Runs fn on every master: the one server of a single Redis, each master of a Cluster. For
 * commands about a server rather than a key (CLIENT LIST/KILL, INFO, DBSIZE).
 */
export async function forEachMaster<T>(
  redis: Redis,
  fn: (node: Redis) => Promise<T>,
  which: 'master' | 'all' = 'master',
): Promise<T[]> {
  if (!isCluster(redis)) return [await fn(redis)];
  return Promise.all((redis as unknown as Cluster).nodes(which).map(fn));
}

/**
 * PUBLISH, answering how many subscribers got the message. On a Redis Cluster PUBLISH counts
 * only the receiving node's own subscribers, so every node is asked (NUMSUB) instead.
 */
export async function publishCounted(
  redis: Redis,
  channel: string,
  message: string,
): Promise<number> {
  const local = await redis.publish(channel, message);
  if (!isCluster(redis)) return local;
  const counts = await forEachMaster(
    redis,
    async (node) => Number(((await node.pubsub('NUMSUB', channel)) as [string, number])[1] ?? 0),
    'all',
  );
  return counts.reduce((a, b) => a + b, 0);
}
