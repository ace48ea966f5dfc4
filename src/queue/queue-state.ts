import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import { limitsFromControls } from './controls.js';
import { shareOf, type QueueLimits } from './limits.js';
import { queueFigures } from './read.js';

/** How many waiting jobs each control holds back now (summed over the type's partitions). */
export interface HeldBack {
  /** Waiting while a rate window is full, or while a handler's retryAfterMs holds the type. */
  readonly byRate: number;
  /** Waiting while every global-concurrency slot is taken. */
  readonly byConcurrency: number;
  /** Waiting while the type is paused. */
  readonly byPause: number;
  /** Jobs parked because their group is over its own limit (q-gate's per-group sets). */
  readonly groupsParked: number;
}

/** What GET /api/queues answers for one job type. */
export interface QueueState {
  readonly type: string;
  readonly partitions: number;
  readonly paused: boolean;
  /** Not started yet: the gated/prioritized set plus the stream's undelivered backlog. */
  readonly waiting: { readonly total: number; readonly byPriority: Record<string, number> };
  /** Delivered to a worker and not finished. */
  readonly active: number;
  readonly delayed: number;
  readonly dead: number;
  readonly limits: QueueLimits;
  /** Set when a handler's retryAfterMs holds the type back: until when (ISO 8601). */
  readonly heldUntil?: string;
  readonly heldBack: HeldBack;
}

/**
 * Score band of priority p in `waiting`: [(10 - p) * 2^40 - 2^39, (11 - p) * 2^40 - 2^39):
 * `seq` is below 2^39, and entries moved back from the stream get `seq - 2^39` (protocol.md).
 */
const BAND = 2 ** 40;
const HALF = 2 ** 39;
const PRIORITIES = Array.from({ length: 21 }, (_, i) => 10 - i);

interface PartitionState {
  readonly controls: Record<string, string>;
  readonly byPriority: Map<number, number>;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly dead: number;
  /** Global-concurrency slots taken, and starts in the current rate window. */
  readonly slots: number;
  readonly recentStarts: number;
  /** Jobs parked over their group's limit (counted in `waiting` too). */
  readonly groupsParked: number;
}

/** Jobs parked over their group's limit: the groups in `parked`, a ZCARD each. */
async function countParked(redis: Redis, keys: Keys, queue: string): Promise<number> {
  const groups = await redis.zrange(keys.parked(queue), 0, -1);
  if (groups.length === 0) return 0;
  const counts = await Promise.all(groups.map((g) => redis.zcard(keys.groupParked(queue, g))));
  return counts.reduce((a, n) => a + n, 0);
}

async function readPartition(
  redis: Redis,
  keys: Keys,
  queue: string,
  now: number,
): Promise<PartitionState> {
  const [figures, controls, parked] = await Promise.all([
    queueFigures(redis, keys, queue),
    redis.hgetall(keys.controls(queue)),
    redis.zcard(keys.waiting(queue)),
  ]);
  const byPriority = new Map<number, number>();
  // queueFigures' waiting counts the waiting set too; what is left is the stream's backlog,
  // jobs that went straight to the stream: priority 0.
  const backlog = Math.max(0, figures.waiting - parked);
  if (backlog > 0) byPriority.set(0, backlog);
  // One ZCOUNT per priority only when something waits in the set: an idle queue costs one ZCARD.
  if (parked > 0) {
    const pipeline = redis.pipeline();
    for (const p of PRIORITIES)
      pipeline.zcount(keys.waiting(queue), (10 - p) * BAND - HALF, `(${(11 - p) * BAND - HALF}`);
    const counts = (await pipeline.exec()) ?? [];
    PRIORITIES.forEach((p, i) => {
      const n = Number(counts[i]?.[1] ?? 0);
      if (n > 0) byPriority.set(p, (byPriority.get(p) ?? 0) + n);
    });
  }
  const perMs = Number(controls.ratePerMs ?? 0);
  const [slots, recentStarts, groupsParked] = await Promise.all([
    controls.concurrency ? redis.zcard(keys.active(queue)) : 0,
    perMs > 0 ? redis.zcount(keys.starts(queue), `(${now - perMs}`, '+inf') : 0,
    countParked(redis, keys, queue),
  ]);
  return {
    controls,
    byPriority,
    waiting: backlog + parked + groupsParked,
    groupsParked,
    active: figures.active,
    delayed: figures.delayed,
    dead: figures.dead,
    slots,
    recentStarts,
  };
}

/**
 * A job type's queues as one: paused, waiting by priority, active, delayed, dead, its limits,
 * and what the controls hold back now. A read of each partition's keys (a few calls each, on
 * the partition's own slot), never per job.
 */
export async function readQueueState(
  redis: Redis,
  keys: Keys,
  type: string,
  queues: readonly string[],
): Promise<QueueState> {
  const now = Date.now();
  const parts = await Promise.all(queues.map((q) => readPartition(redis, keys, q, now)));
  const byPriority: Record<string, number> = {};
  let byRate = 0;
  let byConcurrency = 0;
  let byPause = 0;
  let holdUntil = 0;
  for (const part of parts) {
    for (const [p, n] of [...part.byPriority].sort((a, b) => b[0] - a[0]))
      byPriority[String(p)] = (byPriority[String(p)] ?? 0) + n;
    const c = part.controls;
    const held = Number(c.holdUntil ?? 0);
    holdUntil = Math.max(holdUntil, held);
    // Each waiting job is counted once, for the first control that holds it: pause, then
    // rate (or a hold), then concurrency; jobs parked over a group limit are groupsParked.
    // A partition enforces its share of the type's limits (gate.lua).
    const share = (limit: string): number => shareOf(Number(limit), queues.length);
    const w = part.waiting - part.groupsParked;
    if (c.paused === '1') byPause += w;
    else if (held > now || (c.rateMax && part.recentStarts >= share(c.rateMax))) byRate += w;
    else if (c.concurrency && part.slots >= share(c.concurrency)) byConcurrency += w;
  }
  const sum = (f: (p: PartitionState) => number): number => parts.reduce((a, p) => a + f(p), 0);
  return {
    type,
    partitions: queues.length,
    paused: parts.some((p) => p.controls.paused === '1'),
    waiting: { total: sum((p) => p.waiting), byPriority },
    active: sum((p) => p.active),
    delayed: sum((p) => p.delayed),
    dead: sum((p) => p.dead),
    limits: limitsFromControls(parts.map((p) => p.controls)).limits,
    ...(holdUntil > now ? { heldUntil: new Date(holdUntil).toISOString() } : {}),
    heldBack: { byRate, byConcurrency, byPause, groupsParked: sum((p) => p.groupsParked) },
  };
}
