import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { QueueConsumer, type FinishResult } from '../queue/index.js';
import { Keys, connectRedis, queueOfJobId } from '../redis/index.js';
import { QueueRunner, type RunnerCounts } from './queue-runner.js';

export interface WorkerHandle {
  readonly nodeId: string;
  readonly types: readonly string[];
  counts(): RunnerCounts;
  /** Aborts a job running here because it was cancelled; false if it does not run here. */
  cancel(id: string): boolean;
  /** Graceful: stop claiming, finish running jobs within graceMs, write outcomes, disconnect. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  readonly config: Config;
  readonly registry: JobRegistry;
  readonly nodeId: string;
  readonly log: Logger;
  /** Told each job outcome once written: done, retry, failed, cancelled or refused. */
  readonly onFinished?: (id: string, result: FinishResult) => void;
}

/** Starts one runner per job type this worker takes, each with its own blocking connection. */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
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
  const keys = new Keys(config.prefix);
  const redis = connectRedis(config.redisUrl, log, { name: `wm-worker-${nodeId}` });
  const blocking = types.map((type) =>
    connectRedis(config.redisUrl, log, { blocking: true, name: `wm-block-${type}-${nodeId}` }),
  );
  const consumers = types.map(
    (type, i) => new QueueConsumer(redis, blocking[i]!, keys, type, nodeId, config.deadTtlSec),
  );
  const runners = types.map((type, i) => {
    const definition = registry.get(type)!;
    return new QueueRunner(
      consumers[i]!,
      definition,
      {
        concurrency: definition.concurrency ?? config.concurrency,
        claimTimeoutMs: config.claimTimeoutMs,
        blockMs: config.blockMs,
        defaultBackoff: { type: 'exponential', delayMs: config.backoffMs },
        ...(options.onFinished ? { onFinished: options.onFinished } : {}),
      },
      log.child({ queue: type }),
    );
  });
  // Creating the groups first means `ready` is only said once Redis answers.
  await Promise.all(consumers.map((c) => c.ensureGroup()));
  for (const runner of runners) runner.start();
  log.info({ types, concurrency: config.concurrency }, 'worker started');

  return {
    nodeId,
    types,
    counts() {
      const total: RunnerCounts = { inFlight: 0, processed: 0, failed: 0, retried: 0, refused: 0 };
      for (const r of runners) {
        for (const k of Object.keys(total) as (keyof RunnerCounts)[]) total[k] += r.counts[k];
      }
      return total;
    },
    cancel(id) {
      const runner = runners[types.indexOf(queueOfJobId(id) ?? '')];
      return runner?.cancel(id) ?? false;
    },
    async stop(graceMs = config.shutdownGraceMs) {
      await Promise.all(runners.map((r) => r.stop(graceMs)));
      await Promise.all([redis, ...blocking].map((c) => c.quit().catch(() => c.disconnect())));
      log.info('worker stopped');
    },
  };
}
