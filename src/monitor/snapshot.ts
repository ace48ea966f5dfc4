import type { Redis } from 'ioredis';
import { readMembers, type Member } from '../cluster/index.js';
import { queueFigures, type QueueFigures } from '../queue/index.js';
import type { Keys } from '../redis/index.js';

/** What Redis says about the cluster right now: the stateless part of the read model. */
export type { QueueFigures };

export interface ClusterSnapshot {
  /** ms since the epoch, when it was read. */
  readonly at: number;
  readonly nodes: Member[];
  readonly queues: QueueFigures[];
}

/**
 * Reads the live members and every queue: the given names plus whatever a live worker
 * offers. One read model behind `workmesh sysmon`, the web console and GET /api/monitor.
 */
export async function readClusterSnapshot(
  redis: Redis,
  keys: Keys,
  queueNames: readonly string[],
): Promise<ClusterSnapshot> {
  const nodes = await readMembers(redis, keys);
  const names = new Set(queueNames);
  for (const node of nodes) for (const type of node.offers.types) names.add(type);
  const queues = await Promise.all(
    [...names].sort().map((name) => queueFigures(redis, keys, name)),
  );
  return { at: Date.now(), nodes, queues };
}
