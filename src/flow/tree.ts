import { WorkmeshError, isWorkmeshError } from '../errors/index.js';
import type { Backoff } from '../queue/index.js';
import { newJobId } from '../redis/index.js';
import type { Prepared, Submission } from '../submit/index.js';
import {
  FAILURE_POLICIES,
  MAX_CHAIN_STEPS,
  MAX_FLOW_DEPTH,
  MAX_FLOW_NODES,
  type FailurePolicy,
} from './limits.js';

/** One node of a flow as submitted (POST /api/flows): a job, and the jobs it waits for. */
export interface FlowNodeInput {
  readonly type: string;
  readonly data?: unknown;
  readonly resultTtlSec?: number;
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  readonly timeoutMs?: number;
  readonly callbackUrl?: string;
  /** What this node's failure does to its parent: `fail` (default), `ignore`, `continue`. */
  readonly onFail?: FailurePolicy;
  /** Jobs that must be final before this one runs; their values reach it in order. */
  readonly children?: readonly FlowNodeInput[];
}

/** A node with its id and place, ready to write. */
export interface PlannedNode {
  readonly id: string;
  readonly queue: string;
  readonly depth: number;
  readonly parent: string | undefined;
  readonly onFail: FailurePolicy | undefined;
  readonly children: readonly string[];
  readonly prepared: Prepared;
}

const NODE_FIELDS = new Set([
  'type',
  'data',
  'resultTtlSec',
  'maxAttempts',
  'backoff',
  'timeoutMs',
  'callbackUrl',
  'onFail',
  'children',
]);

function invalid(path: string, why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_FLOW_INVALID', `${path}: ${why}`, { details: { path } });
}

/**
 * A chain as a flow: each step the parent of the step before, so step n runs after step n - 1
 * and reads its value (ctx.previous()); a step that fails for good fails every later one.
 */
export function chainToFlow(steps: readonly FlowNodeInput[]): FlowNodeInput {
  if (!Array.isArray(steps) || steps.length === 0) throw invalid('chain', 'needs one step or more');
  if (steps.length > MAX_CHAIN_STEPS) {
    throw new WorkmeshError(
      'WM_ERR_FLOW_TOO_DEEP',
      `a chain has ${MAX_CHAIN_STEPS} steps at most; this one has ${steps.length}`,
    );
  }
  let node: FlowNodeInput | undefined;
  steps.forEach((step: unknown, i) => {
    if (typeof step !== 'object' || step === null || Array.isArray(step))
      throw invalid(`chain[${i}]`, 'a step is an object {type, data, ...}');
    if ('children' in step) throw invalid(`chain[${i}]`, 'a step has no children');
    node = { ...(step as FlowNodeInput), onFail: 'fail', ...(node ? { children: [node] } : {}) };
  });
  const { onFail: _root, ...root } = node!;
  return root;
}

/**
 * Checks a whole tree before anything is written (shape, limits, each node's type and data)
 * and gives every node its id: the root first, then breadth first. Throws the first problem,
 * with the node's path (`flow.children[2].children[0]`).
 */
export function planFlow(
  root: FlowNodeInput,
  prepare: (job: Submission) => Prepared,
  tenant?: string,
  maxDepth = MAX_FLOW_DEPTH,
): PlannedNode[] {
  const seen = new Set<object>();
  // Breadth first: the root, then each level; parent: the index of the node's parent here.
  const queue: { node: unknown; path: string; depth: number; parent: number }[] = [
    { node: root, path: 'flow', depth: 1, parent: -1 },
  ];
  const checked: { input: FlowNodeInput; prepared: Prepared; kids: number[] }[] = [];
  for (let at = 0; at < queue.length; at++) {
    const { node, path, depth } = queue[at]!;
    if (typeof node !== 'object' || node === null || Array.isArray(node))
      throw invalid(path, 'a node is an object {type, data, children, ...}');
    if (seen.has(node)) throw invalid(path, 'the same node appears twice (a cycle)');
    seen.add(node);
    for (const key of Object.keys(node)) {
      if (!NODE_FIELDS.has(key)) throw invalid(path, `unknown field ${JSON.stringify(key)}`);
    }
    const input = node as FlowNodeInput;
    if (typeof input.type !== 'string') throw invalid(path, '`type` is required');
    if (input.onFail !== undefined && !FAILURE_POLICIES.includes(input.onFail))
      throw invalid(path, '`onFail` is `fail`, `ignore` or `continue`');
    if (input.children !== undefined && !Array.isArray(input.children))
      throw invalid(path, '`children` is an array of nodes');
    const kids = input.children ?? [];
    if (kids.length > 0 && depth + 1 > maxDepth) {
      throw new WorkmeshError(
        'WM_ERR_FLOW_TOO_DEEP',
        `${path}: a flow has ${maxDepth} levels at most`,
      );
    }
    if (queue.length + kids.length > MAX_FLOW_NODES) {
      throw new WorkmeshError(
        'WM_ERR_FLOW_TOO_LARGE',
        `a flow has ${MAX_FLOW_NODES} nodes at most; this one has more`,
      );
    }
    let prepared: Prepared;
    try {
      prepared = prepare({
        type: input.type,
        data: input.data,
        tenant,
        resultTtlSec: input.resultTtlSec,
        maxAttempts: input.maxAttempts,
        backoff: input.backoff,
        timeoutMs: input.timeoutMs,
        callbackUrl: input.callbackUrl,
      });
    } catch (err) {
      if (!isWorkmeshError(err)) throw err;
      throw new WorkmeshError(err.code, `${path}: ${err.message}`, {
        details: { ...err.details, path },
      });
    }
    const kidAt: number[] = [];
    kids.forEach((kid, i) => {
      kidAt.push(queue.length);
      queue.push({ node: kid, path: `${path}.children[${i}]`, depth: depth + 1, parent: at });
    });
    checked.push({ input, prepared, kids: kidAt });
  }
  // Every node is valid: the ids (a partitioned type's node goes to a random partition).
  const ids = checked.map(({ prepared }) =>
    newJobId(prepared.queues[Math.floor(Math.random() * prepared.queues.length)]!),
  );
  return checked.map(({ input, prepared, kids }, at) => {
    const id = ids[at]!;
    const parentAt = queue[at]!.parent;
    const parent = parentAt < 0 ? undefined : ids[parentAt];
    const children = kids.map((k) => ids[k]!);
    return {
      id,
      queue: id.slice(0, id.lastIndexOf('.')),
      depth: queue[at]!.depth,
      parent,
      onFail: parent === undefined ? undefined : (input.onFail ?? 'fail'),
      children,
      prepared: {
        ...prepared,
        job: {
          ...prepared.job,
          options: {
            ...prepared.job.options,
            ...(parent === undefined ? {} : { parent }),
            ...(children.length > 0 ? { children: children.length } : {}),
          },
        },
      },
    };
  });
}
