import type { Redis } from 'ioredis';
import { runScript, typeOfQueue, type Keys } from '../redis/index.js';
import { FLOW_STAGE_TTL_SEC, FLOW_WRITE_SLICE } from './limits.js';
import type { PlannedNode } from './tree.js';

function byQueue(nodes: readonly PlannedNode[]): Map<string, PlannedNode[]> {
  const groups = new Map<string, PlannedNode[]>();
  for (const node of nodes) {
    const group = groups.get(node.queue);
    if (group) group.push(node);
    else groups.set(node.queue, [node]);
  }
  return groups;
}

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += FLOW_WRITE_SLICE)
    out.push(items.slice(i, i + FLOW_WRITE_SLICE));
  return out;
}

/** Runs one script per queue (and slice) of the nodes, the queues at once. */
async function perQueue(
  nodes: readonly PlannedNode[],
  call: (queue: string, slice: PlannedNode[]) => Promise<unknown>,
): Promise<void> {
  await Promise.all(
    [...byQueue(nodes)].flatMap(([queue, group]) => slices(group).map((s) => call(queue, s))),
  );
}

/** Step 1 of a write: every record staged, not runnable, with an expiry (flow-stage.lua). */
export async function stageNodes(
  redis: Redis,
  keys: Keys,
  nodeId: string,
  nodes: readonly PlannedNode[],
): Promise<void> {
  const now = Date.now();
  await perQueue(nodes, (queue, slice) => {
    const args: (string | number)[] = [now, typeOfQueue(queue), nodeId, FLOW_STAGE_TTL_SEC];
    for (const n of slice) {
      const job = n.prepared.job;
      args.push(
        n.id,
        JSON.stringify(job.data),
        job.resultTtlSec,
        job.maxAttempts,
        JSON.stringify(job.options ?? {}),
        job.webhook ?? '',
        n.parent ?? '',
        n.onFail ?? '',
        n.children.length > 0 ? JSON.stringify(n.children) : '',
        n.children.length,
      );
    }
    return runScript(
      redis,
      'flow-stage',
      [...stageKeys(keys, queue, slice), keys.created(queue)],
      args,
    );
  });
}

/** Steps 2 and 3: the leaves committed (runnable), then the parents, deepest level first. */
export async function commitNodes(
  redis: Redis,
  keys: Keys,
  nodes: readonly PlannedNode[],
): Promise<void> {
  const commit = (group: readonly PlannedNode[]) =>
    perQueue(group, (queue, slice) =>
      runScript(
        redis,
        'flow-commit',
        stageKeys(keys, queue, slice),
        slice.flatMap((n) => [n.id, n.children.length === 0 ? 1 : 0]),
      ),
    );
  await commit(nodes.filter((n) => n.children.length === 0));
  const parents = nodes.filter((n) => n.children.length > 0);
  const depths = [...new Set(parents.map((n) => n.depth))].sort((a, b) => b - a);
  for (const depth of depths) await commit(parents.filter((n) => n.depth === depth));
}

/**
 * Writes a planned flow in the steps that keep a crash midway harmless (docs/workflows.md):
 * 1. stage every record, not runnable, with an expiry (flow-stage.lua, per queue);
 * 2. commit the leaves: they lose their expiry and get their stream entries (flow-commit.lua);
 * 3. commit the parents, deepest level first.
 * A flow spans many queues, hence hash slots on a Redis Cluster: no one script can write it.
 * What a submit that died leaves behind is never runnable past its committed leaves, and a
 * parent is made permanent only after all its children were: nothing waits forever.
 */
export async function writeFlow(
  redis: Redis,
  keys: Keys,
  nodeId: string,
  nodes: readonly PlannedNode[],
): Promise<void> {
  await stageNodes(redis, keys, nodeId, nodes);
  await commitNodes(redis, keys, nodes);
}

function stageKeys(keys: Keys, queue: string, slice: readonly PlannedNode[]): string[] {
  return [...keys.queue(queue), ...slice.map((n) => keys.job(n.id))];
}
