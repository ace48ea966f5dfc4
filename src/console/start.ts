import type { FastifyInstance } from 'fastify';
import { REDIS_TIMEOUT_MS, listenOn } from '../http/index.js';
import type { ClusterNode } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { Monitor } from '../monitor/index.js';
import { HistoryRecorder } from '../history/index.js';
import { CountingProducer } from '../queue/index.js';
import { Keys, connectRedis } from '../redis/index.js';
import { checkListenAllowed, consoleGate } from './auth.js';
import { buildConsole } from './server.js';

export interface ConsoleHandle {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartConsoleOptions {
  readonly config: Config;
  readonly monitor: Monitor;
  readonly node: ClusterNode;
  readonly registry: JobRegistry;
  readonly log: Logger;
}

/**
 * Serves the web console on WORKMESH_HOST:WORKMESH_CONSOLE_PORT. Refuses to start beyond
 * loopback without WORKMESH_CONSOLE_TOKEN (WM_ERR_CONSOLE_NO_TOKEN).
 */
export async function startConsole(options: StartConsoleOptions): Promise<ConsoleHandle> {
  const { config, monitor, node, registry, log } = options;
  checkListenAllowed(config, log);
  const redis = connectRedis(config.redisUrl, log, { name: `wm-console-${node.id}` });
  const keys = new Keys(config.prefix);
  // Jobs submitted from the console count as accepted in the metrics history, as the API's.
  const history = new HistoryRecorder(redis, keys, log, config.historyFlushMs);
  history.start();
  const producer = new CountingProducer(redis, keys, node.id, (type) => history.accepted(type));
  const app = buildConsole(
    { config, monitor, node, redis, keys, producer, registry, redisTimeoutMs: REDIS_TIMEOUT_MS },
    log,
  );
  const { port, url } = await listenOn(
    app,
    config.host,
    config.consolePort,
    'WORKMESH_CONSOLE_PORT',
  ).catch((err: unknown) => {
    void history.stop();
    redis.disconnect();
    throw err;
  });
  log.info({ url, auth: consoleGate(config) !== undefined }, 'console listening');
  return {
    app,
    url,
    port,
    async stop() {
      // Live streams never end on their own: close them with the server.
      app.server.closeAllConnections();
      await app.close();
      await producer.drain();
      await history.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
