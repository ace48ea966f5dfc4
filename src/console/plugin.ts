import type { FastifyInstance } from 'fastify';
import { ClusterNode, newNodeId } from '../cluster/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import { REDIS_TIMEOUT_MS } from '../http/index.js';
import {
  createRegistry,
  registryOf,
  type JobDefinitions,
  type JobRegistry,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { HistoryRecorder } from '../history/index.js';
import { Monitor } from '../monitor/index.js';
import { loadPorts } from '../ports/index.js';
import { CountingProducer, requeueGoneNode } from '../queue/index.js';
import { Keys, connectRedis } from '../redis/index.js';
import { checkListenAllowed } from './auth.js';
import { installConsole } from './server.js';

export interface WorkmeshConsoleOptions {
  /** Settings (`loadConfig(...)`); default: every setting's default. */
  readonly config?: Config;
  /** The job types its Submit form and queue list show; default: as `workmesh sysmon`. */
  readonly jobs?: JobDefinitions | JobRegistry;
  /** Default: a new `sysmon-<host>-<pid>-<hex>`. */
  readonly nodeId?: string;
  readonly log?: Logger;
}

/**
 * The web console as a Fastify plugin, for an app that has its own Fastify server:
 * `await app.register(workmeshConsole, { config })`. It joins the cluster as a monitor node
 * (role sysmon), as `workmesh sysmon` does, and serves its pages (/, /login, /assets/...) and
 * /console/api/...; its token (WORKMESH_CONSOLE_TOKEN, or an admin API token) guards them.
 * Mount it at the root (no prefix): the browser code asks for those paths.
 */
export async function workmeshConsole(
  app: FastifyInstance,
  options: WorkmeshConsoleOptions,
): Promise<void> {
  if (app.prefix !== '') {
    throw new WorkmeshError(
      'WM_ERR_CONFIG_INVALID',
      `workmeshConsole serves / and /console/api/...: register it without a prefix (got ${app.prefix})`,
    );
  }
  const config = options.config ?? loadConfig({});
  const nodeId = options.nodeId ?? newNodeId('sysmon');
  const log = options.log ?? createLogger(config.logLevel, { nodeId, role: 'sysmon' });
  checkListenAllowed(config, log);
  const registry =
    options.jobs === undefined
      ? await createRegistry(config, config.jobModules, loadPorts(config.portFiles))
      : registryOf(options.jobs);
  const redis = connectRedis(config.redisUrl, log, { name: `wm-console-${nodeId}` });
  const subscriber = connectRedis(config.redisUrl, log, {
    blocking: true,
    name: `wm-sysmon-sub-${nodeId}`,
  });
  const keys = new Keys(config.prefix);
  const node = new ClusterNode({
    config,
    nodeId,
    role: 'sysmon',
    log,
    onNodeGone: requeueGoneNode(log),
  });
  const monitor = new Monitor({
    redis,
    subscriber,
    keys,
    nodeId,
    node,
    queueNames: registry.queues(),
    intervalMs: config.sysmonIntervalMs,
    log,
  });
  await node.start();
  await monitor.start();
  // Jobs submitted from the console count as accepted in the metrics history, as the API's.
  const history = new HistoryRecorder(redis, keys, log, config.historyFlushMs);
  history.start();
  const producer = new CountingProducer(redis, keys, nodeId, (type) => history.accepted(type));
  installConsole(
    app,
    { config, monitor, node, redis, keys, producer, registry, redisTimeoutMs: REDIS_TIMEOUT_MS },
    { plugin: true },
  );
  app.addHook('onClose', async () => {
    await monitor.stop();
    await node.stop();
    await producer.drain();
    await history.stop();
    await redis.quit().catch(() => redis.disconnect());
  });
}
