import type { Config } from '../config/index.js';
import type { JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { Keys, connectRedis, typeOfJobId } from '../redis/index.js';
import { Scheduler } from './scheduler.js';
import { upsertDefinedSchedules } from './upsert-defined.js';

export interface SchedulingHandle {
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

export interface StartSchedulingOptions {
  readonly config: Config;
  readonly registry: JobRegistry;
  readonly nodeId: string;
  readonly log: Logger;
  /** Told the type of each job fired here: the process counts it as accepted (its history). */
  readonly onAccepted?: (type: string) => void;
}

/**
 * What every API and worker process does for schedules: upsert its job types' schedules, then
 * run the scheduler loop on a connection of its own (a slow pass never delays the process's
 * other Redis calls).
 */
export async function startScheduling(options: StartSchedulingOptions): Promise<SchedulingHandle> {
  const { config, registry, nodeId, log } = options;
  const redis = connectRedis(config.redisUrl, log, { name: `wm-sched-${nodeId}` });
  const keys = new Keys(config.prefix);
  const slog = log.child({ component: 'scheduler' });
  try {
    await upsertDefinedSchedules({ redis, keys, registry }, slog);
  } catch (err) {
    // Redis away at start: the loop goes on regardless; the definitions are written next start.
    slog.warn({ err: (err as Error).message }, "could not upsert the job types' schedules");
  }
  const scheduler = new Scheduler({
    redis,
    keys,
    registry,
    config,
    nodeId,
    log: slog,
    onFired: (_schedule, jobId) => {
      const type = typeOfJobId(jobId);
      if (type !== undefined) options.onAccepted?.(type);
    },
  });
  scheduler.start();
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
