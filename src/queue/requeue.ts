import type { Redis } from 'ioredis';
import type { Logger } from '../log/index.js';
import { GROUP, runScript, type Keys } from '../redis/index.js';

const PAGE = 500;

export interface HeldEntry {
  readonly sid: string;
  readonly id: string;
}

/** Hands entries held by `consumer` back to the queue (requeue.lua); answers how many went back. */
export async function requeueEntries(
  redis: Redis,
  keys: Keys,
  queue: string,
  consumer: string,
  entries: readonly HeldEntry[],
  refund: boolean,
): Promise<number> {
  if (entries.length === 0) return 0;
  const args: (string | number)[] = [GROUP, consumer, refund ? '1' : '0', Date.now()];
  for (const e of entries) args.push(e.sid, e.id);
  const reply = (await runScript(
    redis,
    'requeue',
    [...keys.queue(queue), ...entries.map((e) => keys.job(e.id))],
    args,
  )) as number[];
  return reply.filter((r) => r === 1).length;
}

/**
 * Takeover: every job a (gone) consumer holds on a queue goes back to the queue at once, and the
 * consumer is removed from the group. Safe to run from several nodes: an entry is requeued by
 * exactly one of them.
 */
export async function requeueHeldBy(
  redis: Redis,
  keys: Keys,
  queue: string,
  consumer: string,
): Promise<number> {
  const stream = keys.stream(queue);
  let total = 0;
  for (;;) {
    const held = (await redis
      .xpending(stream, GROUP, '-', '+', PAGE, consumer)
      .catch(() => [])) as [string, string, number, number][];
    if (held.length === 0) break;
    const pipeline = redis.pipeline();
    for (const [sid] of held) pipeline.xrange(stream, sid, sid);
    const ranges = (await pipeline.exec()) ?? [];
    const entries: HeldEntry[] = [];
    const orphans: string[] = [];
    held.forEach(([sid], i) => {
      const [err, range] = ranges[i] ?? [new Error('no reply'), undefined];
      if (err) throw err; // retried by the caller's loop, never mistaken for a deleted entry
      const fields = (range as [string, string[]][] | undefined)?.[0]?.[1];
      if (fields?.[0] === 'id' && fields[1]) entries.push({ sid, id: fields[1] });
      else orphans.push(sid); // entry deleted: nothing to run, just release it
    });
    if (orphans.length > 0) await redis.xack(stream, GROUP, ...orphans);
    total += await requeueEntries(redis, keys, queue, consumer, entries, false);
    if (held.length < PAGE) break;
  }
  // Remove the consumer only when it holds nothing, checked and done in one script: a node
  // wrongly declared gone may have claimed a requeued entry meanwhile.
  await dropConsumer(redis, keys, queue, consumer).catch(() => false);
  return total;
}

/**
 * Removes consumer from the queue's group if it holds no entry (drop-consumer.lua, one atomic
 * step); answers whether it is gone from the group.
 */
export async function dropConsumer(
  redis: Redis,
  keys: Keys,
  queue: string,
  consumer: string,
): Promise<boolean> {
  const reply = await runScript(redis, 'drop-consumer', [keys.stream(queue)], [GROUP, consumer]);
  return reply === 1;
}

/**
 * The cluster node's "node gone" hook (ClusterNodeOptions.onNodeGone): every job the gone node
 * held on the queues it offered goes back to its queue at once, instead of waiting for the
 * claim timeout.
 */
export function requeueGoneNode(
  log: Logger,
): (
  gone: { readonly id: string; readonly offers: { readonly types: readonly string[] } },
  on: { readonly redis: Redis; readonly keys: Keys },
) => Promise<void> {
  return async (gone, { redis, keys }) => {
    for (const queue of gone.offers.types) {
      const requeued = await requeueHeldBy(redis, keys, queue, gone.id);
      if (requeued > 0)
        log.warn({ node: gone.id, queue, requeued }, 'took over the jobs of a gone node');
    }
  };
}
