import type { Redis } from 'ioredis';
import type { ChildOutcome } from '../jobs/index.js';
import type { Keys } from '../redis/index.js';

interface StoredOutcome {
  status: ChildOutcome['status'];
  value?: unknown;
  error?: string;
  ignored?: boolean;
}

/**
 * The outcomes a parent counted (fields `child:<id>` of its record), in the order its
 * children were defined. Children that failed under policy `ignore` are left out; under
 * `continue`, listed with their error.
 */
export async function readChildren(
  redis: Redis,
  keys: Keys,
  parentId: string,
): Promise<ChildOutcome[]> {
  const key = keys.job(parentId);
  const list = await redis.hget(key, 'children');
  if (!list) return [];
  const ids = JSON.parse(list) as string[];
  if (ids.length === 0) return [];
  const stored = await redis.hmget(key, ...ids.map((id) => `child:${id}`));
  const out: ChildOutcome[] = [];
  ids.forEach((id, i) => {
    const text = stored[i];
    if (!text) return;
    const o = JSON.parse(text) as StoredOutcome;
    if (o.ignored) return;
    out.push({
      id,
      status: o.status,
      ...(o.status === 'done' ? { value: o.value } : {}),
      ...(o.error === undefined || o.error === '' ? {} : { error: o.error }),
    });
  });
  return out;
}

/** One node of a flow as GET /api/flows/<id> shows it. */
export interface FlowNodeView {
  readonly id: string;
  readonly type: string;
  /** `accepted` (waiting for its children, or queued), `pending`, `done`, `failed`, `cancelled`; `expired` when its record is gone. */
  readonly status: string;
  readonly value?: unknown;
  readonly error?: string;
  /** Children not yet counted by this node (absent once none, or when it does not wait). */
  readonly waitingFor?: number;
  readonly onFail?: string;
  readonly children: FlowNodeView[];
}

const NODE_FIELDS = ['type', 'status', 'value', 'error', 'waiting', 'onFail', 'children', 'parent'];

/**
 * A flow's tree with every node's status and value, read a level at a time (one pipeline
 * per level). Undefined when the root's record is gone, or the id is not a flow's root.
 */
export async function readFlow(
  redis: Redis,
  keys: Keys,
  rootId: string,
): Promise<FlowNodeView | undefined> {
  let root: FlowNodeView | undefined;
  // Each level's ids with the children array of their parent's view to append to.
  let level: { id: string; into: FlowNodeView[] | undefined }[] = [{ id: rootId, into: undefined }];
  while (level.length > 0) {
    const pipeline = redis.pipeline();
    for (const { id } of level) pipeline.hmget(keys.job(id), ...NODE_FIELDS);
    const rows = (await pipeline.exec()) ?? [];
    const next: typeof level = [];
    level.forEach(({ id, into }, i) => {
      const [type, status, value, error, waiting, onFail, children, parent] = (rows[i]?.[1] ??
        []) as (string | null)[];
      if (into === undefined && (!status || parent || !children)) return;
      const view: FlowNodeView = {
        id,
        type: type ?? id.slice(0, id.lastIndexOf('.')).replace(/~\d+$/, ''),
        status: status ?? 'expired',
        ...(value ? { value: JSON.parse(value) as unknown } : {}),
        ...(error ? { error } : {}),
        ...(waiting ? { waitingFor: Number(waiting) } : {}),
        ...(onFail ? { onFail } : {}),
        children: [],
      };
      if (into === undefined) root = view;
      else into.push(view);
      for (const kid of children ? (JSON.parse(children) as string[]) : [])
        next.push({ id: kid, into: view.children });
    });
    if (!root) return undefined;
    level = next;
  }
  return root;
}

/** Every node id of a flow's tree (read from the parents' `children` lists), root first. */
export async function flowNodeIds(redis: Redis, keys: Keys, rootId: string): Promise<string[]> {
  const all: string[] = [];
  let level = [rootId];
  while (level.length > 0) {
    all.push(...level);
    const pipeline = redis.pipeline();
    for (const id of level) pipeline.hget(keys.job(id), 'children');
    const rows = (await pipeline.exec()) ?? [];
    level = rows.flatMap((r) => (r[1] ? (JSON.parse(r[1] as string) as string[]) : []));
  }
  return all;
}
