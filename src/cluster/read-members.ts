import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import type { Member, NodeInfo } from './node-info.js';

/**
 * The live members as Redis has them: the nodes whose heartbeat has not lapsed, with their
 * info and heartbeat age (Redis clock). The one read model behind /api/cluster, `workmesh
 * nodes` and each node's periodic reconcile.
 */
export async function readMembers(redis: Redis, keys: Keys): Promise<Member[]> {
  const [[, members], [, infos], [, time]] = (await redis
    .multi()
    .zrange(keys.members(), 0, -1, 'WITHSCORES')
    .hgetall(keys.nodeInfo())
    .time()
    .exec()) as [[null, string[]], [null, Record<string, string>], [null, [string, string]]];
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const out: Member[] = [];
  for (let i = 0; i + 1 < members.length; i += 2) {
    const id = members[i]!;
    const deadline = Number(members[i + 1]);
    const raw = infos[id];
    if (deadline < now || raw === undefined) continue;
    const info = JSON.parse(raw) as NodeInfo;
    out.push({ ...info, heartbeatAgeMs: Math.max(0, now - (deadline - info.ttlMs)) });
  }
  return out.sort((a, b) => a.role.localeCompare(b.role) || a.startedAt - b.startedAt);
}
