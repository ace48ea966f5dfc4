import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import { FlowDelivery, readChildren, startFlowSweeper } from '../flow/index.js';
import { HistoryRecorder } from '../history/index.js';
import { writeDefinitionLimits, type AnyJobDefinition, type JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import type { JobTotals, Metrics } from '../metrics/index.js';
import { StreamConsumer, type FinishResult } from '../queue/index.js';
import { Keys, connectRedis, queueOfJobId, typeOfQueue } from '../redis/index.js';
import { QueueProcessor, type JobObserver, type ProcessorCounts } from './queue-processor.js';
import { sandboxed } from './sandbox.js';

/** The runners of one worker process: claim, run, finish (startWorker adds the cluster). */
export interface Runners {
  readonly nodeId: string;
  /** The queues it reads: its job types, each partition of a partitioned type apart. */
  readonly types: readonly string[];
  counts(): ProcessorCounts;
  /** The same counts per job type (for the metrics). */
  totals(): JobTotals[];
  /** Aborts a job running here because it was cancelled; false if it does not run here. */
  cancel(id: string): boolean;
  /** Counts a job this process queued (a schedule's fire) as accepted in the metrics history. */
  accepted(type: string): void;
  /**
   * Stops claiming and lets the running jobs finish, however long they take; the worker stays
   * connected and in the cluster (the console's "drain"). Resolves once none runs.
   */
  drain(): Promise<void>;
  /** True once drain() was called, until resume(). */
  readonly draining: boolean;
  /** After a drain: claims again. Resolves once it does. */
  resume(): Promise<void>;
  /** Jobs it runs at once at most, over all its queues. */
  readonly concurrency: number;
  /** Graceful: stop claiming, finish running jobs within graceMs, write outcomes, disconnect. */
  stop(graceMs?: number): Promise<void>;
}

export interface RunnersOptions {
  readonly config: Config;
  readonly registry: JobRegistry;
  readonly nodeId: string;
  readonly log: Logger;
  /** Observes each handler's duration (workmesh_job_duration_seconds). */
  readonly metrics?: Metrics;
  /** Told each job outcome once written: done, retry, failed, cancelled or refused. */
  readonly onFinished?: (id: string, result: FinishResult) => void;
}

/** The definition with its handler timed into the duration histogram. */
function timed(def: AnyJobDefinition, metrics: Metrics | undefined): AnyJobDefinition {
  if (!metrics) return def;
  const handler = def.handler;
  return {
    ...def,
    handler: async (data, ctx) => {
      const end = metrics.duration.startTimer({ type: def.name });
      try {
        const value: unknown = await handler(data, ctx);
        end({ outcome: 'ok' });
        return value;
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
    },
  };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Feeds a type's starts and outcomes to the wait histogram and the metrics history. */
function observerOf(type: string, history: HistoryRecorder, metrics?: Metrics): JobObserver {
  // The labelled child once: observe() with labels hashes them on every call.
  const wait = metrics?.wait.labels({ type });
  return {
    started(waitMs) {
      wait?.observe(waitMs / 1000);
      history.started(type, waitMs);
    },
    finished(result, runMs) {
      if (result === 'refused') return; // another worker's attempt now
      history.finished(type, result === 'done' || result === 'failed' ? result : 'other', runMs);
    },
  };
}

/** Starts one runner per job type this worker takes, each with its own blocking connection. */
export async function startRunners(options: RunnersOptions): Promise<Runners> {
  const { config, registry, nodeId, log } = options;
  const types = config.types.length > 0 ? [...config.types] : registry.list().map((d) => d.name);
  for (const type of types) {
    if (!registry.get(type)) {
      throw new WorkmeshError(
        'WM_ERR_CONFIG_INVALID',
        `WORKMESH_TYPES names unknown job type ${type}`,
      );
    }
  }
  // One queue per type, or one per partition of a partitioned type: a runner each.
  const queues = types.flatMap((type) => registry.queuesOf(type));
  const keys = new Keys(config.prefix);
  const redis = connectRedis(config.redisUrl, log, { name: `wm-worker-${nodeId}` });
  const blocking = queues.map((queue) =>
    connectRedis(config.redisUrl, log, { blocking: true, name: `wm-block-${queue}-${nodeId}` }),
  );
  const consumers = queues.map(
    (queue, i) =>
      new StreamConsumer(redis, blocking[i]!, keys, queue, nodeId, {
        deadTtlSec: config.deadTtlSec,
        maxRecoveries: config.maxRecoveries,
        partitions: registry.get(typeOfQueue(queue))?.partitions ?? 1,
      }),
  );
  const definitions = types.map((type) =>
    sandboxed(registry, type, { permuteDelayMs: config.permuteDelayMs }, log),
  );
  // Flows: a child's final outcome goes to its parent right after its finish; the sweeper
  // delivers what a worker that died could not (docs/workflows.md).
  const delivery = new FlowDelivery(redis, keys, config.deadTtlSec);
  const flowLog = log.child({ component: 'flow' });
  const flow = {
    childFinal(id: string) {
      delivery
        .deliver(id)
        .catch((err: unknown) =>
          flowLog.warn(
            { jobId: id, err: (err as Error).message },
            'flow completion not delivered; the sweeper will',
          ),
        );
    },
    readChildren: (id: string) => readChildren(redis, keys, id),
  };
  // Per type and minute, in memory; added to Redis once per flush (docs/operations.md).
  const history = new HistoryRecorder(redis, keys, log, config.historyFlushMs);
  const concurrencyOf = (def: AnyJobDefinition) => def.concurrency ?? config.concurrency;
  const runners = queues.map((queue, i) => {
    const definition = definitions[types.indexOf(typeOfQueue(queue))]!;
    return new QueueProcessor(
      consumers[i]!,
      timed(definition, options.metrics),
      {
        concurrency: concurrencyOf(definition),
        claimTimeoutMs: config.claimTimeoutMs,
        blockMs: config.blockMs,
        defaultBackoff: { type: 'exponential', delayMs: config.backoffMs },
        ...(options.onFinished ? { onFinished: options.onFinished } : {}),
        flow,
        observer: observerOf(typeOfQueue(queue), history, options.metrics),
      },
      log.child({ queue }),
    );
  });
  // Creating the groups first means `ready` is only said once Redis answers.
  await Promise.all(consumers.map((c) => c.ensureGroup()));
  await writeDefinitionLimits(redis, keys, registry, types, log);
  // Types with a setup (port pools, connections) get it before their first job.
  await Promise.all(
    definitions.map(async (def) => {
      const concurrency = concurrencyOf(def) * (def.partitions ?? 1);
      await def.setup?.({ concurrency, log: log.child({ queue: def.name }) });
    }),
  );
  for (const runner of runners) runner.start();
  history.start();
  const sweeper = startFlowSweeper(delivery, queues, flowLog);
  log.info({ types, queues, concurrency: config.concurrency }, 'worker started');
  let drained: Promise<void> | undefined;

  return {
    nodeId,
    types: queues,
    concurrency: runners.reduce((sum, r) => sum + r.concurrency, 0),
    counts() {
      const total: ProcessorCounts = {
        inFlight: 0,
        processed: 0,
        failed: 0,
        retried: 0,
        refused: 0,
      };
      for (const r of runners) {
        for (const k of Object.keys(total) as (keyof ProcessorCounts)[]) total[k] += r.counts[k];
      }
      return total;
    },
    totals() {
      // A partitioned type's runners add up to the type's figures.
      const byType = new Map<string, JobTotals>();
      runners.forEach((r, i) => {
        const type = typeOfQueue(queues[i]!);
        const t = byType.get(type);
        byType.set(type, {
          type,
          inFlight: (t?.inFlight ?? 0) + r.counts.inFlight,
          completed: (t?.completed ?? 0) + r.counts.processed,
          failed: (t?.failed ?? 0) + r.counts.failed,
          retried: (t?.retried ?? 0) + r.counts.retried,
        });
      });
      return [...byType.values()];
    },
    accepted(type) {
      history.accepted(type);
    },
    cancel(id) {
      const runner = runners[queues.indexOf(queueOfJobId(id) ?? '')];
      return runner?.cancel(id) ?? false;
    },
    get draining() {
      return drained !== undefined;
    },
    drain() {
      log.info('draining: no new jobs; running ones finish');
      // The longest timer Node allows: a drain waits for the running jobs, not a deadline.
      drained ??= Promise.all(runners.map((r) => r.stop(MAX_TIMER_MS))).then(() =>
        log.info('drained'),
      );
      return drained;
    },
    async resume() {
      if (drained === undefined) return;
      await drained;
      drained = undefined;
      for (const runner of runners) runner.resume();
      log.info('resumed: claiming again');
    },
    async stop(graceMs = config.shutdownGraceMs) {
      // Also ends a drain in progress: past the grace, its unfinished jobs are handed back.
      await Promise.all(runners.map((r) => r.stop(graceMs)));
      await sweeper.stop();
      await history.stop();
      await Promise.all(
        definitions.map(async (def) => {
          try {
            await def.teardown?.();
          } catch (err) {
            log.warn({ queue: def.name, err: (err as Error).message }, 'job type teardown failed');
          }
        }),
      );
      await Promise.all([redis, ...blocking].map((c) => c.quit().catch(() => c.disconnect())));
      log.info('worker stopped');
    },
  };
}
