import type { FastifyInstance } from 'fastify';
import { isLoopback, refuseInsecure } from '../auth/index.js';
import { ClusterNode, DEV_SECRET } from '../cluster/index.js';
import { WebhookAllowList, WebhookDispatcher, webhookSigningKey } from '../webhooks/index.js';
import type { Config } from '../config/index.js';
import { writeDefinitionLimits, type JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { HistoryRecorder } from '../history/index.js';
import { Metrics, redisSources } from '../metrics/index.js';
import { Keys, connectRedis, onRedisError } from '../redis/index.js';
import { CountingProducer, JobWatcher, requeueGoneNode } from '../queue/index.js';
import { REDIS_TIMEOUT_MS, listenOn } from '../http/index.js';
import { scheduleLags, startScheduling } from '../schedule/index.js';
import { buildApi } from './server.js';

export interface ApiHandle {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly port: number;
  /** This API process as a cluster member. */
  readonly node: ClusterNode;
  /** Stops accepting, answers requests in flight, flushes enqueues, disconnects. */
  stop(): Promise<void>;
}

export interface StartApiOptions {
  readonly config: Config;
  readonly registry: JobRegistry;
  readonly nodeId: string;
  readonly log: Logger;
}

export async function startApi(options: StartApiOptions): Promise<ApiHandle> {
  const { config, registry, nodeId, log } = options;
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
  const producer = new CountingProducer(redis, keys, nodeId, (type) => {
    metrics.accepted.inc({ type });
    history.accepted(type);
  });
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
  const cluster: { node?: ClusterNode } = {};
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
  const app = await buildApi(
    {
      config,
      registry,
      redis,
      keys,
      producer,
      nodeId,
      notify,
      watcher,
      metrics,
      registered: () => cluster.node?.registered() ?? false,
      redisTimeoutMs: REDIS_TIMEOUT_MS,
    },
    log,
  );
  let listening: { port: number; url: string };
  try {
    listening = await listenOn(app, config.host, config.apiPort, 'WORKMESH_API_PORT');
  } catch (err) {
    dispatcher.stop();
    await watcher.stop();
    void history.stop();
    redis.disconnect();
    unwatchErrors();
    throw err;
  }
  const { port, url } = listening;
  log.info({ url }, 'api listening');
  const member = new ClusterNode({
    config,
    nodeId,
    role: 'api',
    log,
    meta: { url },
    onNodeGone: requeueGoneNode(log),
  });
  await member.start();
  cluster.node = member;
  // Every API process fires schedules too (docs/schedules.md): no leader, no beat process.
  const scheduling = await startScheduling({ config, registry, nodeId, log });
  return {
    app,
    url,
    port,
    node: member,
    async stop() {
      await scheduling.stop();
      await app.close();
      dispatcher.stop();
      await watcher.stop();
      await member.stop();
      await producer.drain();
      await history.stop();
      await redis.quit().catch(() => redis.disconnect());
      unwatchErrors();
    },
  };
}
