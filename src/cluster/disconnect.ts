import type { Redis } from 'ioredis';
import { forEachMaster } from '../redis/index.js';

/**
 * Closes every Redis connection of a node declared gone (found by the connection names
 * workmesh gives them, which end with the node id). A node that is only paused (SIGSTOP, a
 * long GC, a partition) would otherwise keep a blocking XREADGROUP open and swallow new work
 * while it cannot run it. Answers how many connections were closed; without the right to run
 * CLIENT LIST / CLIENT KILL (a restricted ACL user) it closes none, and the claim timeout
 * covers that case. On a Redis Cluster the node has connections on every master: each is asked.
 */
export async function disconnectNode(redis: Redis, nodeId: string): Promise<number> {
  const closed = await forEachMaster(redis, (server) => disconnectOn(server, nodeId));
  return closed.reduce((a, b) => a + b, 0);
}

async function disconnectOn(redis: Redis, nodeId: string): Promise<number> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
  const ids: string[] = [];
  for (const line of list.split('\n')) {
    // ioredis names a cluster client's slot-refresh connection `ioredis-cluster(refresher):<name>`.
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1]?.replace(/^ioredis-cluster\([a-z]+\):/, '');
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    if (id && name?.startsWith('wm-') && name.endsWith(`-${nodeId}`)) ids.push(id);
  }
  for (const id of ids) await redis.client('KILL', 'ID', id).catch(() => undefined);
  return ids.length;
}
