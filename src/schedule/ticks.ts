import type { Cron } from 'croner';
import { cronOf, type ScheduleDefinition } from './definition.js';

/**
 * A tick older than this when its turn comes counts as missed (the cluster was down or Redis
 * away) and the missed-tick policy decides whether it fires; a younger one is merely late (a
 * busy process) and fires. 2 s: a loaded machine's loop runs late by a second at times.
 */
export const LATE_MS = 2000;

/** Most ticks walked to find the latest due one after a long outage of a frequent cron. */
const MAX_WALK = 10_000;

/** The ticks of one schedule: `next(after)` is the first tick strictly after `after`. */
export interface Ticks {
  next(afterMs: number): number | undefined;
}

export function ticksOf(def: ScheduleDefinition): Ticks {
  const { startAt, endAt } = def;
  const bounded = (t: number | undefined): number | undefined =>
    t === undefined || (endAt !== undefined && t > endAt) ? undefined : t;
  if (def.everyMs !== undefined) {
    // On a grid anchored at startAt (else the epoch): the same ticks whoever computes them,
    // and across upserts that keep the interval.
    const every = def.everyMs;
    const anchor = startAt ?? 0;
    return {
      next(after) {
        if (after < anchor) return bounded(anchor);
        return bounded(anchor + (Math.floor((after - anchor) / every) + 1) * every);
      },
    };
  }
  const cron: Cron = cronOf(def.cron!, def.tz);
  return {
    next(after) {
      // croner answers the next time strictly after the one given (at second resolution);
      // time zones and DST are its (docs/schedules.md).
      const from = startAt !== undefined && after < startAt ? startAt - 1 : after;
      return bounded(cron.nextRun(new Date(from))?.getTime());
    },
  };
}

/** The first tick a new or changed schedule fires: after `now` and after its `lastTick`. */
export function firstTick(
  def: ScheduleDefinition,
  now: number,
  lastTick?: number,
): number | undefined {
  return ticksOf(def).next(Math.max(now, lastTick ?? -Infinity));
}

/** The next `count` ticks after `after` (GET of one schedule shows 5). */
export function upcoming(def: ScheduleDefinition, after: number, count: number): number[] {
  const ticks = ticksOf(def);
  const out: number[] = [];
  let t: number | undefined = after;
  while (out.length < count && (t = ticks.next(t)) !== undefined) out.push(t);
  return out;
}

/** What a process does with a schedule whose next tick `due` has come (`now` >= `due`). */
export interface FirePlan {
  /** The tick to fire. */
  readonly tick: number;
  /** The tick after it (undefined: the schedule ends with this one). */
  readonly next: number | undefined;
  /** Due ticks before `tick` that are skipped (the missed-tick policy). */
  readonly missed: number;
}

/**
 * The missed-tick policy. The due ticks are `due` and those after it up to `now`; a tick older
 * than LATE_MS is missed. `latest`: fire the first tick that is not missed, or else the
 * latest one; the missed ones before it are skipped. `all`: fire each in turn, but no more
 * than `missedCap` in all (the oldest beyond that are skipped).
 */
export function planFire(def: ScheduleDefinition, due: number, now: number): FirePlan {
  const ticks = ticksOf(def);
  const fire = (tick: number, missed: number): FirePlan => ({
    tick,
    next: ticks.next(tick),
    missed,
  });
  if (now - due <= LATE_MS) return fire(due, 0);
  // The due ticks, oldest first (bounded: after a long outage of a frequent cron the walk
  // starts again near now).
  const dueTicks: number[] = [due];
  let skippedWalk = 0;
  for (let t = ticks.next(due); t !== undefined && t <= now; t = ticks.next(t)) {
    dueTicks.push(t);
    if (dueTicks.length > MAX_WALK) {
      skippedWalk += dueTicks.length;
      dueTicks.length = 0;
      const restart = ticks.next(now - LATE_MS * 2);
      if (restart === undefined || restart > now) break;
      dueTicks.push(restart);
      t = restart;
    }
  }
  if (dueTicks.length === 0) return fire(due, 0);
  if (def.missed === 'all') {
    const from = Math.max(0, dueTicks.length - def.missedCap);
    return fire(dueTicks[from]!, skippedWalk + from);
  }
  const onTime = dueTicks.findIndex((t) => now - t <= LATE_MS);
  const pick = onTime >= 0 ? onTime : dueTicks.length - 1;
  return fire(dueTicks[pick]!, skippedWalk + pick);
}
