import type { Redis } from 'ioredis';
import { cancelJob } from '../queue/index.js';
import { queueOfJobId, type Keys } from '../redis/index.js';
import { flowNodeIds } from './read.js';

export interface FlowCancelled {
  /** Nodes cancelled now (queued, waiting or running). */
  readonly cancelled: number;
  /** Of those, the running ones: workedBy of each, to tell its worker to abort it. */
  readonly running: { id: string; workedBy: string }[];
}

/**
 * Cancels every node of a flow that is not final, root first (so no parent is released
 * meanwhile by a child that finishes). Each is cancel.lua on its own queue: a running node's
 * worker is told by the caller (as DELETE /api/work does). Cancelled children land in their
 * outbox like any final child; their parents, cancelled already, only record them.
 */
export async function cancelFlow(redis: Redis, keys: Keys, rootId: string): Promise<FlowCancelled> {
  const ids = await flowNodeIds(redis, keys, rootId);
  const results = await Promise.all(
    ids.map((id) => cancelJob(redis, keys, queueOfJobId(id)!, id).then((r) => ({ id, ...r }))),
  );
  const running = results
    .filter((r) => r.outcome === 'running' && r.workedBy)
    .map((r) => ({ id: r.id, workedBy: r.workedBy! }));
  return {
    cancelled: results.filter((r) => r.outcome === 'cancelled' || r.outcome === 'running').length,
    running,
  };
}
