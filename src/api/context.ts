import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../jobs/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Producer, JobWatcher } from '../queue/index.js';
import { typeOfJobId, type Keys } from '../redis/index.js';

/** What the routes share: built once per API process. */
export interface ApiContext {
  readonly config: Config;
  readonly registry: JobRegistry;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly producer: Producer;
  readonly nodeId: string;
  /** Wakes waiting requests (long-poll, SSE) on job events; absent: no waiting. */
  readonly watcher?: JobWatcher;
  /** Sends a message to a cluster node (the API's own node); absent without a cluster. */
  readonly notify?: (nodeId: string, message: unknown) => Promise<boolean>;
  /**
   * Counts a job queued by another path than the producer (a flow's or a batch's) as accepted
   * (workmesh_jobs_accepted_total, the metrics history); absent: not counted.
   */
  readonly accepted?: (type: string) => void;
  /** This process's metrics, served at GET /metrics; absent: no such route. */
  readonly metrics?: Metrics;
  /** Whether this API process is a registered cluster member now; absent: not asked. */
  readonly registered?: () => boolean;
  /** Longest a request waits for Redis before answering 503. */
  readonly redisTimeoutMs: number;
}

/** Counts the jobs of a flow or a batch as accepted, each by its type (its id names it). */
export function countAccepted(ctx: ApiContext, ids: readonly string[]): void {
  if (!ctx.accepted) return;
  for (const id of ids) {
    const type = typeOfJobId(id);
    if (type !== undefined) ctx.accepted(type);
  }
}
