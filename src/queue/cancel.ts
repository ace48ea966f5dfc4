import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';
import type { Keys } from '../redis/index.js';
import { cancelJob } from './admin.js';
import { checkedId } from './job-id.js';

/** What a cancel answers (DELETE /api/work/<id>, the producer API's cancel()). */
export interface CancelAnswer {
  readonly callback: string;
  readonly status: 'cancelled';
  /** true: a worker was running it; its AbortSignal fires there. */
  readonly wasRunning: boolean;
}

/**
 * Cancels a job by its callback id: a queued or delayed job never runs, a running one is
 * aborted (the worker holding it is told through notify; if that message is lost, its next
 * claim renewal notices). Throws WM_ERR_JOB_NOT_FOUND or WM_ERR_JOB_FINAL.
 */
export async function cancelById(
  redis: Redis,
  keys: Keys,
  rawId: string,
  notify?: (nodeId: string, message: unknown) => Promise<boolean>,
  guard: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<CancelAnswer> {
  const { id, queue } = checkedId(rawId);
  const result = await guard(() => cancelJob(redis, keys, queue, id));
  if (result.outcome === 'missing') {
    throw new WorkmeshError(
      'WM_ERR_JOB_NOT_FOUND',
      `no job ${id}: unknown, or its result has expired`,
    );
  }
  if (result.outcome === 'final') {
    throw new WorkmeshError('WM_ERR_JOB_FINAL', `job ${id} is final already; nothing to cancel`);
  }
  if (result.workedBy) {
    await notify?.(result.workedBy, { type: 'cancel', id }).catch(() => false);
  }
  return { callback: id, status: 'cancelled', wasRunning: result.outcome === 'running' };
}
