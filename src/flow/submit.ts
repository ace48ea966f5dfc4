import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import type { Submitter } from '../submit/index.js';
import type { TraceCarrier } from '../tracing/index.js';
import { writeFlow } from './write.js';
import { MAX_CHAIN_STEPS } from './limits.js';
import { chainToFlow, planFlow, type FlowNodeInput } from './tree.js';

export interface SubmittedFlow {
  /** The root's callback id: the flow's id. */
  readonly id: string;
  readonly nodes: number;
  /** Every node's id, root first, then breadth first (a chain: its last step first). */
  readonly ids: readonly string[];
}

/**
 * Submits a flow (a tree) or a chain, whole or not at all: every node is checked with the
 * Submitter's checks and defaults (types, data, webhooks) before anything is written.
 */
export async function submitFlow(
  redis: Redis,
  keys: Keys,
  nodeId: string,
  submitter: Submitter,
  input: { flow: FlowNodeInput } | { chain: readonly FlowNodeInput[] },
  tenant?: string,
  /** The submitting request's trace context, stored with every node. */
  trace?: TraceCarrier,
): Promise<SubmittedFlow> {
  const prepare = (job: Parameters<Submitter['prepare']>[0]) =>
    submitter.prepare(trace ? { ...job, trace } : job);
  const nodes =
    'chain' in input
      ? planFlow(chainToFlow(input.chain), prepare, tenant, MAX_CHAIN_STEPS)
      : planFlow(input.flow, prepare, tenant);
  await writeFlow(redis, keys, nodeId, nodes);
  return { id: nodes[0]!.id, nodes: nodes.length, ids: nodes.map((n) => n.id) };
}
