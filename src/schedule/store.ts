import type { Redis } from 'ioredis';
import { WorkmeshError } from '../errors/index.js';
import type { JobRegistry } from '../jobs/index.js';
import { runScript, type Keys } from '../redis/index.js';
import { checkSchedule, checkScheduleId, type ScheduleDefinition } from './definition.js';
import { redisNow, scheduleQueue } from './place.js';
import { LATE_MS, firstTick, upcoming } from './ticks.js';
import { viewOf, type ScheduleView } from './view.js';

/** Where schedules are kept and the job types they may name. */
export interface ScheduleStore {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly registry: JobRegistry;
}

/** A compare-and-set lost to a tick fired meanwhile is tried again, this many times. */
const SAVE_TRIES = 10;

function notFound(id: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_SCHEDULE_NOT_FOUND', `no schedule ${JSON.stringify(id)}`);
}

function scheduleKeys(keys: Keys, queue: string, id: string): string[] {
  return [keys.schedule(queue, id), keys.schedules(queue), keys.scheduleTicks(queue)];
}

/**
 * Writes with schedule-save, recomputing the next tick from the `lastTick` read until the
 * compare-and-set holds (a tick fired between the read and the write).
 */
async function save(
  store: ScheduleStore,
  queue: string,
  id: string,
  def: ScheduleDefinition | undefined,
  paused: '' | '0' | '1',
): Promise<number> {
  const { redis, keys } = store;
  const json = def === undefined ? '' : JSON.stringify(def);
  for (let i = 0; i < SAVE_TRIES; i++) {
    const [[lastTick, stored, count], now] = await Promise.all([
      redis.hmget(keys.schedule(queue, id), 'lastTick', 'def', 'count'),
      redisNow(redis),
    ]);
    const current = def ?? (stored ? (JSON.parse(stored) as ScheduleDefinition) : undefined);
    if (current === undefined) throw notFound(id);
    const ended = current.limit !== undefined && Number(count ?? 0) >= current.limit;
    // A changed definition takes over from the tick after the last one fired, but not from
    // further back than a late tick (LATE_MS): a tick due at the upsert still fires, with the
    // new definition. A resume starts after now: ticks passed while paused are not made up.
    const after = lastTick && def !== undefined ? Math.max(Number(lastTick), now - LATE_MS) : now;
    const next = ended
      ? undefined
      : firstTick(current, after, lastTick ? Number(lastTick) : undefined);
    const rev = (await runScript(redis, 'schedule-save', scheduleKeys(keys, queue, id), [
      id,
      json,
      lastTick ?? '',
      next ?? 0,
      paused,
      now,
    ])) as number;
    if (rev === -1) throw notFound(id);
    if (rev !== 0) return rev;
  }
  throw new WorkmeshError('WM_ERR_INTERNAL', `schedule ${id}: could not save (ticks kept firing)`);
}

/**
 * Creates or replaces a schedule (upsert by id). Everything is checked before anything is
 * written: a bad schedule, an unknown type or data its type refuses is a 400.
 */
export async function upsertSchedule(store: ScheduleStore, spec: unknown): Promise<ScheduleView> {
  const def = checkSchedule(spec);
  store.registry.validate(def.type, def.data);
  const queue = scheduleQueue(store.registry.queuesOf(def.type), def.id);
  const { redis, keys } = store;
  const before = await redis.hget(keys.scheduleIndex(), def.id);
  // Another type (or partition count) before: the old record goes; its ticks were another
  // type's jobs, so none of them can be fired twice by the new one.
  if (before !== null && before !== queue) {
    await runScript(redis, 'schedule-save', scheduleKeys(keys, before, def.id), [
      def.id,
      '-',
      '',
      0,
      '',
      0,
    ]);
  }
  // The index first: a schedule stored is always found (a stale index entry is skipped).
  await redis.hset(keys.scheduleIndex(), def.id, queue);
  await save(store, queue, def.id, def, '');
  return (await getSchedule(store, def.id))!;
}

async function queueOf(store: ScheduleStore, id: string): Promise<string> {
  checkScheduleId(id);
  const queue = await store.redis.hget(store.keys.scheduleIndex(), id);
  if (queue === null) throw notFound(id);
  return queue;
}

export async function removeSchedule(store: ScheduleStore, id: string): Promise<void> {
  const queue = await queueOf(store, id);
  const { redis, keys } = store;
  const rev = await runScript(redis, 'schedule-save', scheduleKeys(keys, queue, id), [
    id,
    '-',
    '',
    0,
    '',
    0,
  ]);
  await redis.hdel(keys.scheduleIndex(), id);
  if (rev === -1) throw notFound(id);
}

/** Pauses (no tick fires; none is made up on resume) or resumes a schedule. */
export async function pauseSchedule(
  store: ScheduleStore,
  id: string,
  paused: boolean,
): Promise<ScheduleView> {
  const queue = await queueOf(store, id);
  await save(store, queue, id, undefined, paused ? '1' : '0');
  return (await getSchedule(store, id))!;
}

/** One schedule with its next 5 fire times, or undefined. */
export async function getSchedule(
  store: ScheduleStore,
  id: string,
): Promise<ScheduleView | undefined> {
  checkScheduleId(id);
  const { redis, keys } = store;
  const queue = await redis.hget(keys.scheduleIndex(), id);
  if (queue === null) return undefined;
  const [hash, next] = await Promise.all([
    redis.hgetall(keys.schedule(queue, id)),
    redis.zscore(keys.scheduleTicks(queue), id),
  ]);
  if (hash.def === undefined) return undefined;
  const view = viewOf(queue, hash, next);
  const def = JSON.parse(hash.def) as ScheduleDefinition;
  const times = next === null ? [] : [Number(next), ...upcoming(def, Number(next), 4)];
  return { ...view, upcoming: times.map((t) => new Date(t).toISOString()) };
}

/** Every schedule, by id. */
export async function listSchedules(store: ScheduleStore): Promise<ScheduleView[]> {
  const { redis, keys } = store;
  const index = await redis.hgetall(keys.scheduleIndex());
  const ids = Object.keys(index).sort();
  const views = await Promise.all(
    ids.map(async (id) => {
      const queue = index[id]!;
      const [hash, next] = await Promise.all([
        redis.hgetall(keys.schedule(queue, id)),
        redis.zscore(keys.scheduleTicks(queue), id),
      ]);
      return hash.def === undefined ? undefined : viewOf(queue, hash, next);
    }),
  );
  return views.filter((v): v is ScheduleView => v !== undefined);
}
