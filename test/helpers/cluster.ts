import { loadConfig } from '../../src/config/index.js';
import { ClusterNode, type MembershipChange } from '../../src/cluster/index.js';
import { createLogger } from '../../src/log/index.js';
import { requeueGoneNode } from '../../src/queue/index.js';

/** Short cluster timers for tests (the defaults are 2 s / 6 s). */
export const FAST_CLUSTER = {
  WORKMESH_HEARTBEAT_MS: '300',
  WORKMESH_NODE_TTL_MS: '1500',
  WORKMESH_CLUSTER_SECRET: 'test-secret',
};

/** A cluster node in the test process (role `test`), to watch membership and make calls. */
export async function startTestNode(
  redisUrl: string,
  env: Record<string, string> = FAST_CLUSTER,
  nodeId = `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<ClusterNode> {
  const config = loadConfig({ REDIS_URL: redisUrl, ...env });
  const log = createLogger('silent');
  // Like every node of the real processes, it takes over the jobs of the nodes it finds gone.
  const node = new ClusterNode({
    config,
    nodeId,
    role: 'test',
    log,
    onNodeGone: requeueGoneNode(log),
  });
  await node.start();
  return node;
}

/** Resolves with the first membership change of that kind for that node. */
export function nextChange(
  node: ClusterNode,
  event: 'joined' | 'left',
  nodeId: string,
): Promise<MembershipChange & { at: number }> {
  return new Promise((resolve) => {
    const listener = (change: MembershipChange): void => {
      if (change.node.id !== nodeId) return;
      node.off(event, listener);
      resolve({ ...change, at: performance.now() });
    };
    node.on(event, listener);
  });
}
