import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';
import { newJobId, queueOfJobId, runScript, type Keys } from '../redis/index.js';
import type { Submitter } from '../submit/index.js';
import { MAX_FLOW_NODES } from './limits.js';
import { planFlow, type FlowNodeInput, type PlannedNode } from './tree.js';
import { commitNodes, stageNodes } from './write.js';

/** Where a batch lives and what writes it. */
export interface BatchStore {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly nodeId: string;
  readonly submitter: Submitter;
}

function batchCall(store: BatchStore, id: string, args: string[]): Promise<number> {
  const queue = queueOfJobId(id)!;
  return runScript(
    store.redis,
    'batch',
    [...store.keys.queue(queue), store.keys.job(id)],
    args,
  ) as Promise<number>;
}

/** The jobs of an add, checked whole (each node without children), as children of the batch. */
function planJobs(
  store: BatchStore,
  batchId: string,
  jobs: readonly FlowNodeInput[],
  tenant?: string,
): PlannedNode[] {
  if (!Array.isArray(jobs))
    throw new WorkmeshError('WM_ERR_FLOW_INVALID', 'jobs: an array of {type, data, ...}');
  if (jobs.length > MAX_FLOW_NODES) {
    throw new WorkmeshError(
      'WM_ERR_FLOW_TOO_LARGE',
      `one add takes ${MAX_FLOW_NODES} jobs at most; this one has ${jobs.length}`,
    );
  }
  const prepare = (job: Parameters<Submitter['prepare']>[0]) => store.submitter.prepare(job);
  return jobs.map((job: FlowNodeInput, i) => {
    if (typeof job === 'object' && job !== null && 'children' in job)
      throw new WorkmeshError('WM_ERR_FLOW_INVALID', `jobs[${i}]: a batch's job has no children`);
    let node: PlannedNode;
    try {
      [node] = planFlow(job, prepare, tenant, 1) as [PlannedNode];
    } catch (err) {
      if (err instanceof WorkmeshError)
        throw new WorkmeshError(err.code, err.message.replace(/^flow/, `jobs[${i}]`), {
          ...(err.details ? { details: err.details } : {}),
        });
      throw err;
    }
    const options = { ...node.prepared.job.options, parent: batchId };
    return {
      ...node,
      depth: 2,
      parent: batchId,
      onFail: 'continue' as const,
      prepared: { ...node.prepared, job: { ...node.prepared.job, options } },
    };
  });
}

/**
 * Adds jobs to an open batch: staged, then counted by the batch (batch.lua `add`, which
 * refuses once closed), then committed (runnable). Counted before they can run, so the batch
 * is never released early; an add that dies before its commit leaves staged jobs that expire,
 * which a close counts as cancelled (closeBatch).
 */
export async function addToBatch(
  store: BatchStore,
  batchId: string,
  jobs: readonly FlowNodeInput[],
  tenant?: string,
): Promise<string[]> {
  const nodes = planJobs(store, batchId, jobs, tenant);
  if (nodes.length === 0) return [];
  await stageNodes(store.redis, store.keys, store.nodeId, nodes);
  const added = await batchCall(store, batchId, ['add', ...nodes.map((n) => n.id)]);
  if (added !== 1) {
    throw new WorkmeshError(
      'WM_ERR_BATCH_CLOSED',
      `batch ${batchId} is closed (or gone): no jobs can be added`,
    );
  }
  await commitNodes(store.redis, store.keys, nodes);
  return nodes.map((n) => n.id);
}

/**
 * Opens a batch: its callback job is written (staged, then marked an open batch, then
 * committed: it waits), then the first jobs are added. close: closed at once after them.
 */
export async function openBatch(
  store: BatchStore,
  callback: FlowNodeInput,
  jobs: readonly FlowNodeInput[] = [],
  tenant?: string,
): Promise<{ id: string; ids: string[] }> {
  if (typeof callback === 'object' && callback !== null && 'children' in callback)
    throw new WorkmeshError('WM_ERR_FLOW_INVALID', 'callback: has no children (add jobs)');
  const [root] = planFlow(callback, (job) => store.submitter.prepare(job), tenant, 1) as [
    PlannedNode,
  ];
  const id = root.id;
  // A parent to the commit (no stream entry), whatever its children: marked by batch.lua.
  const node: PlannedNode = {
    ...root,
    children: [newJobId(root.queue)],
    prepared: {
      ...root.prepared,
      job: { ...root.prepared.job, options: { ...root.prepared.job.options, children: 1 } },
    },
  };
  await stageNodes(store.redis, store.keys, store.nodeId, [node]);
  await batchCall(store, id, ['open']);
  await commitNodes(store.redis, store.keys, [node]);
  const ids = await addToBatch(store, id, jobs, tenant);
  return { id, ids };
}

/**
 * Closes a batch: no more adds; its callback runs once every job in it is final (at once if
 * they are). Idempotent. Jobs of an add that died before its commit (their record expired,
 * never counted) are counted now, as cancelled, so the batch does not wait for them forever.
 */
export async function closeBatch(store: BatchStore, batchId: string): Promise<boolean> {
  const closed = await batchCall(store, batchId, ['close', batchId]);
  if (closed < 0) return false;
  const { redis, keys } = store;
  const list = await redis.hget(keys.job(batchId), 'children');
  const ids = list ? (JSON.parse(list) as string[]) : [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.exists(keys.job(id));
  const exists = (await pipeline.exec()) ?? [];
  const gone = ids.filter((_, i) => exists[i]?.[1] === 0);
  if (gone.length > 0) {
    const counted = await redis.hmget(keys.job(batchId), ...gone.map((id) => `child:${id}`));
    const queue = queueOfJobId(batchId)!;
    for (const [i, id] of gone.entries()) {
      if (counted[i]) continue;
      await runScript(
        redis,
        'flow-count',
        [...keys.queue(queue), keys.job(batchId), ...keys.finalKeys(queue)],
        [Date.now(), 0, batchId, id, 'cancelled', 'never committed (its add failed)', 'continue'],
      );
    }
  }
  return true;
}

/** A batch as GET /api/batches/<id> shows it. */
export interface BatchView {
  readonly id: string;
  /** The callback job's status. */
  readonly status: string;
  readonly open: boolean;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Jobs not final yet. */
  readonly waiting: number;
  readonly value?: unknown;
  readonly error?: string;
}

export async function readBatch(
  redis: Redis,
  keys: Keys,
  batchId: string,
): Promise<BatchView | undefined> {
  const hash = await redis.hgetall(keys.job(batchId));
  if (!hash.batch || !hash.status) return undefined;
  const counts = { done: 0, failed: 0, cancelled: 0 };
  for (const [field, text] of Object.entries(hash)) {
    if (!field.startsWith('child:')) continue;
    const { status } = JSON.parse(text) as { status: keyof typeof counts };
    if (status in counts) counts[status] += 1;
  }
  const total = (JSON.parse(hash.children ?? '[]') as string[]).length;
  return {
    id: batchId,
    status: hash.status,
    open: hash.batch === 'open',
    total,
    ...counts,
    waiting: total - counts.done - counts.failed - counts.cancelled,
    ...(hash.value ? { value: JSON.parse(hash.value) as unknown } : {}),
    ...(hash.error ? { error: hash.error } : {}),
  };
}
