import { TokenSet, refuseInsecure } from '../auth/index.js';
import { ClusterNode, newNodeId } from '../cluster/index.js';
import { loadConfig, type Config } from '../config/index.js';
import { REDIS_TIMEOUT_MS, withRedis } from '../http/index.js';
import {
  createRegistry,
  registryOf,
  type JobDefinitions,
  type JobRegistry,
} from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { Metrics, redisSources, startMetricsServer } from '../metrics/index.js';
import { loadPorts } from '../ports/index.js';
import { requeueGoneNode, type FinishResult } from '../queue/index.js';
import { Keys, connectRedis, onRedisError } from '../redis/index.js';
import { startScheduling } from '../schedule/index.js';
import { runCallable } from './run-callable.js';
import { startRunners, type Runners } from './worker.js';

export interface WorkerOptions {
  /** Settings (`loadConfig(...)`); default: every setting's default. */
  readonly config?: Config;
  /**
   * The job types it runs (definitions or a registry); default: the built-ins, the modules
   * of WORKMESH_JOBS and the ports of WORKMESH_PORTS, as `workmesh worker`.
   */
  readonly jobs?: JobDefinitions | JobRegistry;
  /** Default: a new `worker-<host>-<pid>-<hex>`. */
  readonly nodeId?: string;
  /** Default: a pino logger at `config.logLevel`. */
  readonly log?: Logger;
  /** Told each job outcome once written: done, retry, failed, cancelled or refused. */
  readonly onFinished?: (id: string, result: FinishResult) => void;
  /**
   * A `stop` call from the console or another node. Default: this worker stops (drain with
   * the grace, leave the cluster), the process goes on; `workmesh worker` exits instead.
   */
  readonly onStopRequest?: (reason: string) => void;
}

/** A running worker: its runners, its cluster node, its metrics. */
export interface WorkerHandle extends Omit<Runners, 'stop' | 'accepted'> {
  /** This worker as a cluster member (calls: ping, info, stats, run, drain, resume, stop). */
  readonly node: ClusterNode;
  readonly metrics: Metrics;
  /** The metrics listener (WORKMESH_METRICS_PORT), when one was asked for. */
  readonly metricsUrl?: string;
  /**
   * Graceful: stops firing schedules and claiming, lets running jobs finish within graceMs
   * (default WORKMESH_SHUTDOWN_GRACE_MS) and hands the rest back, leaves the cluster.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Everything `workmesh worker` runs, in this process: the runners of its job types, a cluster
 * node that answers cancel messages and the console's run, drain, resume and stop calls, the
 * schedules it fires, and the metrics listener when WORKMESH_METRICS_PORT is set.
 */
export async function startWorker(options: WorkerOptions = {}): Promise<WorkerHandle> {
  const config = options.config ?? loadConfig({});
  const nodeId = options.nodeId ?? newNodeId('worker');
  const log = options.log ?? createLogger(config.logLevel, { nodeId, role: 'worker' });
  const registry =
    options.jobs === undefined
      ? await createRegistry(config, config.jobModules, loadPorts(config.portFiles))
      : registryOf(options.jobs);
  const metrics = new Metrics();
  const unwatchErrors = onRedisError(() => metrics.redisErrors.inc());
  let runners: Runners;
  try {
    runners = await startRunners({
      config,
      registry,
      nodeId,
      log,
      metrics,
      ...(options.onFinished ? { onFinished: options.onFinished } : {}),
    });
  } catch (err) {
    unwatchErrors();
    throw err;
  }
  metrics.addSources({ jobs: () => runners.totals() });
  // Read at every heartbeat: the console shows a draining worker as such.
  const meta: Record<string, string> = { state: 'running' };
  const node = new ClusterNode({
    config,
    nodeId,
    role: 'worker',
    log,
    offers: { types: runners.types, concurrency: runners.concurrency },
    jobFigures: () => runners.counts(),
    meta,
    onNodeGone: requeueGoneNode(log),
  });
  let stopping: Promise<void> | undefined;
  const onStopRequest =
    options.onStopRequest ?? ((): void => void handle.stop().catch(() => undefined));
  node.register('run', runCallable(registry, log));
  // Console actions. Each answers at once: a drain or a stop may take longer than a call.
  node.register('drain', (_args, from) => {
    if (!runners.draining) {
      log.info({ from }, 'asked to drain');
      meta.state = 'draining';
      void runners.drain().then(() => (meta.state = 'drained'));
    }
    return { draining: true, inFlight: runners.counts().inFlight };
  });
  node.register('resume', (_args, from) => {
    if (runners.draining) {
      log.info({ from }, 'asked to resume');
      meta.state = 'resuming';
      void runners.resume().then(() => (meta.state = 'running'));
    }
    return { resuming: true };
  });
  node.register('stop', (_args, from) => {
    log.info({ from }, 'asked to stop');
    meta.state = 'stopping';
    // After the reply is on its way; the same path as SIGTERM (drain with a deadline, leave).
    setTimeout(() => onStopRequest(`asked by ${from}`), 50);
    return { stopping: true, inFlight: runners.counts().inFlight };
  });
  node.on('message', (message: { type?: string; id?: string }) => {
    if (message?.type === 'cancel' && typeof message.id === 'string' && runners.cancel(message.id))
      log.info({ jobId: message.id }, 'job cancelled; aborting it');
  });
  await node.start();
  // Every worker fires schedules too (docs/schedules.md): any process alive keeps them going.
  const scheduling = await startScheduling({
    config,
    registry,
    nodeId,
    log,
    // A fired job counts as accepted in the metrics history, as one submitted to the API does.
    onAccepted: (type) => runners.accepted(type),
  });
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
  if (scrape) {
    metrics.addSources(redisSources(scrape, new Keys(config.prefix), () => runners.types));
    // Started only once the probe's own connection is up: a Redis Cluster client takes a
    // moment (the slots, then each master), and /readyz answered 503 until then.
    await scrape.ping();
  }

  const handle: WorkerHandle = {
    nodeId,
    types: runners.types,
    concurrency: runners.concurrency,
    node,
    metrics,
    ...(server === undefined ? {} : { metricsUrl: server.url }),
    counts: () => runners.counts(),
    totals: () => runners.totals(),
    cancel: (id) => runners.cancel(id),
    get draining() {
      return runners.draining;
    },
    drain: () => runners.drain(),
    resume: () => runners.resume(),
    stop(graceMs) {
      stopping ??= (async () => {
        meta.state = 'stopping';
        await scheduling.stop();
        // Drain first, so the node stays visible with its dwindling in-flight count.
        await runners.stop(graceMs);
        await node.stop();
        await server?.stop();
        scrape?.disconnect();
        unwatchErrors();
      })();
      return stopping;
    },
  };
  return handle;
}
