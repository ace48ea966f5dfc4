import { type Static, Type } from '@sinclair/typebox';
import type { ScheduleDefinition } from './definition.js';

const Iso = Type.String({ format: 'date-time' });

export const ScheduleRunSchema = Type.Object({
  tick: Iso,
  at: Iso,
  job: Type.Optional(Type.String({ description: 'Callback id of the fired job' })),
  skipped: Type.Optional(Type.Literal('overlap')),
  missed: Type.Optional(Type.Integer({ description: 'Missed ticks skipped before this one' })),
});

/** A schedule as GET /api/schedules[/<id>] shows it. */
export const ScheduleViewSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  queue: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('ended')]),
  definition: Type.Record(Type.String(), Type.Unknown(), {
    description: 'As written (times in ISO 8601), defaults filled in',
  }),
  nextTick: Type.Union([Iso, Type.Null()]),
  lastTick: Type.Union([Iso, Type.Null()]),
  lastJob: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer({ description: 'Jobs fired' }),
  missed: Type.Integer({ description: 'Ticks skipped by the missed-tick policy' }),
  skipped: Type.Integer({ description: 'Ticks skipped by the overlap policy' }),
  lagMs: Type.Union([Type.Integer(), Type.Null()], {
    description: 'Of the latest fired job: its tick to its acceptance',
  }),
  rev: Type.Integer(),
  createdAt: Iso,
  updatedAt: Iso,
  runs: Type.Array(ScheduleRunSchema, { description: 'The latest runs, newest first (10)' }),
  upcoming: Type.Optional(Type.Array(Iso, { description: 'The next 5 fire times' })),
});

export type ScheduleView = Static<typeof ScheduleViewSchema>;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The definition as written: times back in ISO 8601. */
export function specOf(def: ScheduleDefinition): Record<string, unknown> {
  return {
    ...def,
    ...(def.startAt === undefined ? {} : { startAt: iso(def.startAt) }),
    ...(def.endAt === undefined ? {} : { endAt: iso(def.endAt) }),
  };
}

interface StoredRun {
  tick: number;
  at: number;
  job?: string;
  skipped?: 'overlap';
  missed?: number;
}

/** The view of a schedule hash (HGETALL) and its next tick (ZSCORE). */
export function viewOf(
  queue: string,
  hash: Record<string, string>,
  nextTick: string | null,
): ScheduleView {
  const def = JSON.parse(hash.def!) as ScheduleDefinition;
  const runs = (JSON.parse(hash.runs ?? '[]') as StoredRun[]).map((r) => ({
    tick: iso(r.tick),
    at: iso(r.at),
    ...(r.job === undefined ? {} : { job: r.job }),
    ...(r.skipped === undefined ? {} : { skipped: r.skipped }),
    ...(r.missed === undefined ? {} : { missed: r.missed }),
  }));
  return {
    id: def.id,
    type: def.type,
    queue,
    status: hash.paused === '1' ? 'paused' : nextTick === null ? 'ended' : 'active',
    definition: specOf(def),
    nextTick: nextTick === null ? null : iso(Number(nextTick)),
    lastTick: hash.lastTick ? iso(Number(hash.lastTick)) : null,
    lastJob: hash.lastJob ?? null,
    count: Number(hash.count ?? 0),
    missed: Number(hash.missed ?? 0),
    skipped: Number(hash.skipped ?? 0),
    lagMs: hash.lagMs === undefined ? null : Number(hash.lagMs),
    rev: Number(hash.rev ?? 0),
    createdAt: iso(Number(hash.createdAt ?? 0)),
    updatedAt: iso(Number(hash.updatedAt ?? 0)),
    runs,
  };
}
