import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi } from '../../src/api/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createRegistry } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log/index.js';
import { Metrics } from '../../src/metrics/index.js';
import { JobWatcher, Producer } from '../../src/queue/index.js';
import { Keys, connectRedis } from '../../src/redis/index.js';

export interface InProcessApi {
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly redis: Redis;
  close(): Promise<void>;
}

/** The API built in this process (app.inject, no port), on the given Redis. */
export async function buildTestApi(
  redisUrl: string,
  env: Record<string, string> = {},
  options: {
    /** A job watcher (long-poll, server-sent events) on its own connection `wm-watch-test`. */
    readonly watch?: boolean;
    readonly redisTimeoutMs?: number;
  } = {},
): Promise<InProcessApi> {
  const config = loadConfig({ REDIS_URL: redisUrl, WORKMESH_LOG_LEVEL: 'silent', ...env });
  const log = createLogger(config.logLevel);
  const redis = connectRedis(redisUrl, log);
  await new Promise((resolve) => redis.once('ready', resolve));
  const keys = new Keys(config.prefix);
  const registry = await createRegistry(config, config.jobModules);
  const producer = new Producer(redis, keys, 'api-test');
  const watcher = options.watch
    ? new JobWatcher(
        connectRedis(redisUrl, log, { blocking: true, name: 'wm-watch-test' }),
        config.prefix,
        log,
      )
    : undefined;
  await watcher?.start();
  const app = await buildApi(
    {
      config,
      registry,
      redis,
      keys,
      producer,
      nodeId: 'api-test',
      redisTimeoutMs: options.redisTimeoutMs ?? 2000,
      ...(watcher ? { watcher } : {}),
      // As a real API: GET /metrics is one of its routes.
      metrics: new Metrics(),
    },
    log,
  );
  return {
    app,
    config,
    redis,
    async close() {
      await app.close();
      await watcher?.stop();
      redis.disconnect();
    },
  };
}
