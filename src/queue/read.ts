import type { Redis } from 'ioredis';
import { GROUP, type Keys } from '../redis/index.js';
import { JOB_STATE_FIELDS, type JobView } from '../job-schema/index.js';
import { countDead } from './admin.js';
import { jobFromHash, type JOB_FIELDS } from './job-record.js';

/** The job with this (well-formed) callback id, or undefined once it is gone. */
export async function getJob(redis: Redis, keys: Keys, id: string): Promise<JobView | undefined> {
  return jobFromHash(id, await redis.hgetall(keys.job(id)));
}

/** What GET /api/status shows: every field but the input and the event log (each a hash field). */
const STATUS_FIELDS: readonly (keyof typeof JOB_FIELDS)[] = JOB_STATE_FIELDS;

/**
 * The job without its `data` and `events` (HMGET of the other fields): the status route reads
 * this on every poll, and the input and the event log are the bulk of a small job's record.
 */
export async function getJobStatus(
  redis: Redis,
  keys: Keys,
  id: string,
): Promise<Omit<JobView, 'data' | 'events'> | undefined> {
  const values = await redis.hmget(keys.job(id), ...STATUS_FIELDS);
  const hash: Record<string, string> = {};
  STATUS_FIELDS.forEach((field, i) => {
    const v = values[i];
    if (v !== null && v !== undefined) hash[field] = v;
  });
  return jobFromHash(id, hash);
}

export interface QueueCounts {
  readonly queue: string;
  /** Entries not yet delivered to any worker, and jobs in a gated queue's waiting set. */
  readonly waiting: number;
  /** Entries delivered and not yet acknowledged (running, or held by a dead worker). */
  readonly active: number;
  readonly accepted: number;
  readonly done: number;
  readonly failed: number;
}

/**
 * Queue depth. Finished entries are deleted from the stream, so it holds exactly the waiting
 * and the delivered-but-unacknowledged entries: waiting = XLEN - XPENDING's count.
 */
export async function queueCounts(redis: Redis, keys: Keys, queue: string): Promise<QueueCounts> {
  const stream = keys.stream(queue);
  const [length, pending, stats, gated] = await Promise.all([
    redis.xlen(stream),
    redis.xpending(stream, GROUP).catch(() => [0]) as Promise<unknown[]>,
    redis.hgetall(keys.stats(queue)),
    // Not admitted yet (docs/protocol.md, "Queue controls"); parked groups' jobs not counted.
    redis.zcard(keys.waiting(queue)),
  ]);
  const active = Number(pending[0] ?? 0);
  return {
    queue,
    waiting: Math.max(0, length - active) + gated,
    active,
    accepted: Number(stats.accepted ?? 0),
    done: Number(stats.done ?? 0),
    failed: Number(stats.failed ?? 0),
  };
}

/** A queue as monitors show it: depth, counters since creation, delayed and dead. */
export interface QueueFigures extends QueueCounts {
  /** Jobs not due yet (retry backoff, delayMs, runAt). */
  readonly delayed: number;
  /** Dead letters (failed for good, kept to retry or purge). */
  readonly dead: number;
}

/** Everything a monitor shows of one queue: the one read behind the console, sysmon and /metrics. */
export async function queueFigures(redis: Redis, keys: Keys, queue: string): Promise<QueueFigures> {
  const [counts, delayed, dead] = await Promise.all([
    queueCounts(redis, keys, queue),
    redis.zcard(keys.delayed(queue)),
    countDead(redis, keys, queue),
  ]);
  return { ...counts, delayed, dead };
}
