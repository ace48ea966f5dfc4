import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import {
  LIMIT_NAMES,
  applyChange,
  hasLimits,
  limitFields,
  replaceWith,
  type LimitsChange,
  type QueueLimits,
} from './limits.js';

/**
 * Pause, resume and limits of a job type, written to the `controls` hash of each of its queues
 * (one per partition) with a wake-up on its `signal` stream. The claim path (q-gate's scripts)
 * reads them; nothing here runs per job. docs/queues.md is the user's guide.
 */

/** Who set a type's limits last: its definition at a process start, or the API (a PUT). */
export type LimitsSource = 'definition' | 'api';

export interface StoredLimits {
  readonly limits: QueueLimits;
  /** Absent when nothing (or only a raw writer of the hash) set them. */
  readonly by?: LimitsSource;
}

const SIGNAL_MAXLEN = 10;

/** Queues one `signal` wake-up in a transaction (`XADD <signal> MAXLEN ~ 10 * w 1`). */
function wake(multi: ReturnType<Redis['multi']>, keys: Keys, queue: string): void {
  multi.xadd(keys.signal(queue), 'MAXLEN', '~', SIGNAL_MAXLEN, '*', 'w', '1');
}

/** Pauses every queue of a type: nothing more starts; submissions are still accepted and wait. */
export async function pauseQueues(redis: Redis, keys: Keys, queues: readonly string[]) {
  await Promise.all(
    queues.map((queue) => {
      const multi = redis.multi().hset(keys.controls(queue), 'paused', '1', 'gated', '1');
      wake(multi, keys, queue);
      return multi.exec();
    }),
  );
}

/**
 * Resumes every queue of a type. `gated` stays: the claim path clears it once the queue's
 * waiting jobs are admitted and no control is left (jobs parked while paused must not be
 * stranded by a resume).
 */
export async function resumeQueues(redis: Redis, keys: Keys, queues: readonly string[]) {
  await Promise.all(
    queues.map((queue) => {
      const multi = redis.multi().hdel(keys.controls(queue), 'paused');
      wake(multi, keys, queue);
      return multi.exec();
    }),
  );
}

function parseStored(raw: string | null | undefined): StoredLimits | undefined {
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as StoredLimits;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.limits === 'object')
      return parsed;
  } catch {
    // A hand-written field: fall back to the limit fields.
  }
  return undefined;
}

/**
 * A type's limits as set, from its queues' controls: the `limits` field (who set them), else,
 * for a hash written without it, the limit fields (every partition holds the type's whole
 * limit; gate.lua takes each partition's share).
 */
export function limitsFromControls(controls: readonly Record<string, string>[]): StoredLimits {
  const stored = parseStored(controls[0]?.limits);
  if (stored) return stored;
  const valueOf = (field: string): number | undefined => {
    const value = controls.find((c) => c[field] !== undefined)?.[field];
    return value === undefined ? undefined : Number(value);
  };
  const perMs = (field: string): number => Number(controls.find((c) => c[field])?.[field]);
  const out: Record<string, unknown> = {};
  const rateMax = valueOf('rateMax');
  if (rateMax !== undefined) out.rate = { max: rateMax, perMs: perMs('ratePerMs') };
  const concurrency = valueOf('concurrency');
  if (concurrency !== undefined) out.concurrency = concurrency;
  const groupRateMax = valueOf('groupRateMax');
  if (groupRateMax !== undefined)
    out.groupRate = { max: groupRateMax, perMs: perMs('groupRatePerMs') };
  const groupConcurrency = valueOf('groupConcurrency');
  if (groupConcurrency !== undefined) out.groupConcurrency = groupConcurrency;
  return { limits: out };
}

/** The limits stored for a type (its queues' controls hashes). */
export async function readLimits(
  redis: Redis,
  keys: Keys,
  queues: readonly string[],
): Promise<StoredLimits> {
  const controls = await Promise.all(queues.map((q) => redis.hgetall(keys.controls(q))));
  return limitsFromControls(controls);
}

/**
 * Changes a type's limits (check the change with checkLimits first): every queue of the type
 * gets its share of the new limits (split evenly, ceil, at least 1), `gated` when any limit is
 * left, and a wake-up. Answers the type's limits after the change.
 */
export async function setQueueLimits(
  redis: Redis,
  keys: Keys,
  queues: readonly string[],
  change: LimitsChange,
  by: LimitsSource = 'api',
): Promise<QueueLimits> {
  const current = await readLimits(redis, keys, queues);
  const limits = applyChange(current.limits, change);
  // Every field is rewritten, not only the changed ones: a share kept from before would be
  // of an older partition count.
  const fields = limitFields(replaceWith(limits));
  const set = Object.entries(fields).filter(([, v]) => v !== null) as [string, string][];
  const removed = Object.entries(fields)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  const any = hasLimits(limits);
  await Promise.all(
    queues.map((queue) => {
      const key = keys.controls(queue);
      const multi = redis.multi();
      if (removed.length > 0) multi.hdel(key, ...removed);
      if (any) {
        multi.hset(key, ...set.flat(), 'gated', '1', 'limits', JSON.stringify({ limits, by }));
      } else multi.hdel(key, 'limits');
      wake(multi, keys, queue);
      return multi.exec();
    }),
  );
  return limits;
}

const same = (a: QueueLimits, b: QueueLimits): boolean =>
  LIMIT_NAMES.every((n) => JSON.stringify(a[n]) === JSON.stringify(b[n]));

/**
 * Writes a definition's limits at a process start (worker or API): the definition wins at
 * deploy, so a PUT holds until the next start. A definition without `limits` removes the
 * limits an earlier definition wrote, and keeps those an operator set through the API.
 * Answers what it did.
 */
export async function applyDefinitionLimits(
  redis: Redis,
  keys: Keys,
  queues: readonly string[],
  limits: QueueLimits | undefined,
): Promise<'set' | 'removed' | 'unchanged'> {
  const stored = await readLimits(redis, keys, queues);
  if (limits && hasLimits(limits)) {
    if (stored.by === 'definition' && same(stored.limits, limits)) return 'unchanged';
    await setQueueLimits(redis, keys, queues, replaceWith(limits), 'definition');
    return 'set';
  }
  if (stored.by !== 'definition' || !hasLimits(stored.limits)) return 'unchanged';
  await setQueueLimits(redis, keys, queues, replaceWith({}), 'definition');
  return 'removed';
}
