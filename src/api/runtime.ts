import { isLoopback, refuseInsecure } from '../auth/index.js';
import { ClusterNode, DEV_SECRET } from '../cluster/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { REDIS_TIMEOUT_MS } from '../http/index.js';
import {
  createRegistry,
  registryOf,
  writeDefinitionLimits,
  type JobDefinitions,
  type JobRegistry,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { HistoryRecorder } from '../history/index.js';
import { Metrics, redisSources } from '../metrics/index.js';
import { loadPorts } from '../ports/index.js';
import { CountingProducer, JobWatcher, requeueGoneNode } from '../queue/index.js';
import { Keys, connectRedis, onRedisError } from '../redis/index.js';
import { scheduleLags, startScheduling } from '../schedule/index.js';
import { WebhookAllowList, WebhookDispatcher, webhookSigningKey } from '../webhooks/index.js';
import { newNodeId } from '../cluster/index.js';
import type { ApiContext } from './context.js';

export interface ApiOptions {
  /** Settings (`loadConfig(...)`); default: every setting's default. */
  readonly config?: Config;
  /**
   * The job types it accepts (definitions or a registry); default: the built-ins, the modules
   * of WORKMESH_JOBS and the ports of WORKMESH_PORTS, as `workmesh api`.
   */
  readonly jobs?: JobDefinitions | JobRegistry;
  /** Default: a new `api-<host>-<pid>-<hex>`. */
  readonly nodeId?: string;
  /** Default: a pino logger at `config.logLevel`. */
  readonly log?: Logger;
}

/** What an API process runs besides its HTTP server: built once, by startApi or the plugin. */
export interface ApiRuntime {
  readonly ctx: ApiContext;
  readonly log: Logger;
  /** Joins the cluster (meta is read at every heartbeat) and starts firing schedules. */
  join(meta: Record<string, string>): Promise<ClusterNode>;
  /** After the HTTP server closed: stops schedules, webhooks, the watcher, the node, Redis. */
  close(): Promise<void>;
}

/** Connections, producer, job watcher and webhook dispatcher of one API process. */
export async function openApiRuntime(options: ApiOptions): Promise<ApiRuntime> {
  const config = options.config ?? loadConfig({});
  const nodeId = options.nodeId ?? newNodeId('api');
  const log = options.log ?? createLogger(config.logLevel, { nodeId, role: 'api' });
  const registry =
    options.jobs === undefined
      ? await createRegistry(config, config.jobModules, loadPorts(config.portFiles))
      : registryOf(options.jobs);
  refuseInsecure(config, 'API', log);
  if (!isLoopback(config.host) && config.rateLimitPerMin === 0) {
    log.warn(
      { host: config.host },
      'the API listens beyond loopback without a rate limit (WORKMESH_RATE_LIMIT)',
    );
  }
  const redis = connectRedis(config.redisUrl, log, { name: `wm-api-${nodeId}` });
  const keys = new Keys(config.prefix);
  const metrics = new Metrics();
  const unwatchErrors = onRedisError(() => metrics.redisErrors.inc());
  metrics.addSources(redisSources(redis, keys, () => registry.queues()));
  metrics.addSources({ scheduleLag: () => scheduleLags(redis, keys) });
  const history = new HistoryRecorder(redis, keys, log, config.historyFlushMs);
  history.start();
  const accepted = (type: string): void => {
    metrics.accepted.inc({ type });
    history.accepted(type);
  };
  const producer = new CountingProducer(redis, keys, nodeId, accepted);
  // In the background: an API starts (and answers 503) while Redis is away.
  writeDefinitionLimits(
    redis,
    keys,
    registry,
    registry.list().map((d) => d.name),
    log,
  ).catch((err: unknown) =>
    log.warn({ err: (err as Error).message }, "could not write the definitions' queue limits"),
  );
  // The cluster node needs the URL, known once listening; requests before that reach no node.
  const cluster: { node?: ClusterNode; scheduling?: { stop(): Promise<void> } } = {};
  const notify = (target: string, message: unknown): Promise<boolean> =>
    cluster.node ? cluster.node.send(target, message) : Promise.resolve(false);
  const watcher = new JobWatcher(
    connectRedis(config.redisUrl, log, { blocking: true, name: `wm-watch-${nodeId}` }),
    config.prefix,
    log,
  );
  await watcher.start();
  const dispatcher = new WebhookDispatcher({
    redis,
    keys,
    queues: () => registry.queues(),
    allow: new WebhookAllowList(config.webhookAllow),
    secret: webhookSigningKey(config.webhookSecret, config.clusterSecret ?? DEV_SECRET),
    retryMs: config.webhookRetryMs,
    log,
  });
  if (config.webhookAllow.length > 0) {
    watcher.onAnyFinal(() => dispatcher.wake());
    dispatcher.start();
  }
  return {
    log,
    ctx: {
      config,
      registry,
      redis,
      keys,
      producer,
      accepted,
      nodeId,
      notify,
      watcher,
      metrics,
      registered: () => cluster.node?.registered() ?? false,
      redisTimeoutMs: REDIS_TIMEOUT_MS,
    },
    async join(meta) {
      const member = new ClusterNode({
        config,
        nodeId,
        role: 'api',
        log,
        meta,
        onNodeGone: requeueGoneNode(log),
      });
      await member.start();
      cluster.node = member;
      // Every API process fires schedules too (docs/schedules.md): no leader, no beat process.
      cluster.scheduling = await startScheduling({
        config,
        registry,
        nodeId,
        log,
        // In the metrics history (not workmesh_jobs_accepted_total: a worker fires them too).
        onAccepted: (type) => history.accepted(type),
      });
      return member;
    },
    async close() {
      await cluster.scheduling?.stop();
      dispatcher.stop();
      await watcher.stop();
      await cluster.node?.stop();
      await producer.drain();
      await history.stop();
      await redis.quit().catch(() => redis.disconnect());
      unwatchErrors();
    },
  };
}
