import { TokenSet, refuseInsecure } from '../../auth/index.js';
import { ClusterNode, newNodeId } from '../../cluster/index.js';
import { REDIS_TIMEOUT_MS, withRedis } from '../../http/index.js';
import { createRegistry } from '../../jobs/index.js';
import { loadPorts } from '../../ports/index.js';
import { createLogger } from '../../log/index.js';
import { Metrics, redisSources, startMetricsServer } from '../../metrics/index.js';
import { requeueGoneNode } from '../../queue/index.js';
import { Keys, connectRedis, onRedisError } from '../../redis/index.js';
import { startScheduling } from '../../schedule/index.js';
import { runCallable, startWorker } from '../../worker/index.js';
import type { Command } from '../command.js';
import { stopOnSignals, stopSelf, tellParent } from '../lifecycle.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker: claims jobs from the Redis queues and runs their handlers.',
  usage: 'worker [options]',
  description:
    'Start as many as you like, on any machine that reaches the same Redis. Each worker is a cluster node: it registers, heartbeats, and answers calls (ping, info, stats, run, drain, stop). On SIGTERM it stops claiming, lets running jobs finish (WORKMESH_SHUTDOWN_GRACE_MS), hands the rest back to the queue, leaves the cluster and exits; a second signal exits at once.',
  joinsLocalUp: true,
  settings: [
    'redisUrl',
    'prefix',
    'concurrency',
    'types',
    'jobModules',
    'portFiles',
    'permuteDelayMs',
    'claimTimeoutMs',
    'blockMs',
    'shutdownGraceMs',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'callTimeoutMs',
    'metricsPort',
    'apiTokens',
    'insecure',
    'host',
    'historyFlushMs',
    'logLevel',
  ],
  async run({ config }) {
    const nodeId = newNodeId('worker');
    const log = createLogger(config.logLevel, { nodeId, role: 'worker' });
    const registry = await createRegistry(config, config.jobModules, loadPorts(config.portFiles));
    const metrics = new Metrics();
    const unwatchErrors = onRedisError(() => metrics.redisErrors.inc());
    const worker = await startWorker({ config, registry, nodeId, log, metrics });
    metrics.addSources({ jobs: () => worker.totals() });
    // Read at every heartbeat: the console shows a draining worker as such.
    const meta: Record<string, string> = { state: 'running' };
    const node = new ClusterNode({
      config,
      nodeId,
      role: 'worker',
      log,
      offers: { types: worker.types, concurrency: worker.concurrency },
      jobFigures: () => worker.counts(),
      meta,
      onNodeGone: requeueGoneNode(log),
    });
    node.register('run', runCallable(registry, log));
    // Console actions. Both answer at once: a drain or a stop may take longer than a call.
    node.register('drain', (_args, from) => {
      if (!worker.draining) {
        log.info({ from }, 'asked to drain');
        meta.state = 'draining';
        void worker.drain().then(() => (meta.state = 'drained'));
      }
      return { draining: true, inFlight: worker.counts().inFlight };
    });
    node.register('resume', (_args, from) => {
      if (worker.draining) {
        log.info({ from }, 'asked to resume');
        meta.state = 'resuming';
        void worker.resume().then(() => (meta.state = 'running'));
      }
      return { resuming: true };
    });
    node.register('stop', (_args, from) => {
      log.info({ from }, 'asked to stop');
      meta.state = 'stopping';
      // After the reply is on its way; the same path as SIGTERM (drain with a deadline, leave).
      setTimeout(() => stopSelf(`asked by ${from}`), 50);
      return { stopping: true, inFlight: worker.counts().inFlight };
    });
    node.on('message', (message: { type?: string; id?: string }) => {
      if (
        message?.type === 'cancel' &&
        typeof message.id === 'string' &&
        worker.cancel(message.id)
      ) {
        log.info({ jobId: message.id }, 'job cancelled; aborting it');
      }
    });
    await node.start();
    // Every worker fires schedules too (docs/schedules.md): any process alive keeps them going.
    const scheduling = await startScheduling({ config, registry, nodeId, log });
    // The listener (and its connection for scrape-time reads) only when asked for.
    if (config.metricsPort !== undefined) refuseInsecure(config, 'metrics listener', log);
    const scrape =
      config.metricsPort === undefined
        ? undefined
        : connectRedis(config.redisUrl, log, { name: `wm-metrics-${nodeId}` });
    const server =
      scrape === undefined || config.metricsPort === undefined
        ? undefined
        : await startMetricsServer({
            metrics,
            host: config.host,
            port: config.metricsPort,
            log,
            tokens: new TokenSet(config.apiTokens),
            // Bounded as the API's: a Redis that hangs must not hang the readiness probe.
            ready: async () =>
              node.registered() &&
              (await withRedis(scrape, REDIS_TIMEOUT_MS, () => scrape.ping()).catch(
                () => undefined,
              )) === 'PONG',
          });
    if (scrape)
      metrics.addSources(redisSources(scrape, new Keys(config.prefix), () => worker.types));
    tellParent({
      kind: 'ready',
      role: 'worker',
      nodeId,
      ...(server === undefined ? {} : { url: server.url }),
    });
    await stopOnSignals(async () => {
      await scheduling.stop();
      // Drain first, so the node stays visible with its dwindling in-flight count.
      await worker.stop();
      await node.stop();
      await server?.stop();
      scrape?.disconnect();
      unwatchErrors();
    }, log);
    return 0;
  },
};
