import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Cron } from 'croner';
import { WorkmeshError } from '../errors/index.js';

/** Shortest `everyMs`: a tick is one script call per schedule; below a second is a busy loop. */
export const MIN_EVERY_MS = 1000;
/** Most missed ticks the `all` policy fires after an outage (`missedCap`'s ceiling). */
export const MAX_MISSED_CAP = 1000;
/** Default `missedCap` of the `all` policy. */
export const DEFAULT_MISSED_CAP = 10;
/** A schedule id: safe in a key, a URL path segment and a shell argument. */
export const SCHEDULE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

const Backoff = Type.Object(
  {
    type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')]),
    delayMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800_000 })),
  },
  { additionalProperties: false },
);

/**
 * A schedule as written by its owner (HTTP body, CLI, shell, `defineJob({ schedules })`): the
 * one shape every way in shares; docs/schedules.md describes each field.
 */
export const ScheduleSpecSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 100, description: 'Schedule id (upsert key)' }),
    type: Type.String({ maxLength: 48, description: 'Job type of the fired jobs' }),
    data: Type.Optional(Type.Unknown({ description: "The fired jobs' data (default null)" })),
    cron: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Cron expression: 5 fields (minute first) or 6 (second first)',
      }),
    ),
    tz: Type.Optional(
      Type.String({ maxLength: 64, description: 'IANA time zone of `cron` (default UTC)' }),
    ),
    everyMs: Type.Optional(
      Type.Integer({ description: `Fixed interval, ms (at least ${MIN_EVERY_MS})` }),
    ),
    startAt: Type.Optional(
      Type.String({ maxLength: 40, description: 'No tick before (ISO 8601)' }),
    ),
    endAt: Type.Optional(Type.String({ maxLength: 40, description: 'No tick after (ISO 8601)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Jobs fired at most' })),
    missed: Type.Optional(
      Type.Union([Type.Literal('latest'), Type.Literal('all')], {
        description:
          'Missed ticks after an outage: fire the latest (default) or all (up to missedCap)',
      }),
    ),
    missedCap: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_MISSED_CAP, description: 'Default 10' }),
    ),
    overlap: Type.Optional(
      Type.Union([Type.Literal('allow'), Type.Literal('skip')], {
        description: 'A tick while the previous job is not final: fire (default) or skip',
      }),
    ),
    job: Type.Optional(
      Type.Object(
        {
          resultTtlSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
          maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          backoff: Type.Optional(Backoff),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
        },
        { additionalProperties: false, description: "The fired jobs' options" },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ScheduleSpec = Static<typeof ScheduleSpecSchema>;

/** A schedule as stored (field `def`): checked, times as ms, defaults filled in. */
export interface ScheduleDefinition {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly cron?: string;
  readonly tz?: string;
  readonly everyMs?: number;
  readonly startAt?: number;
  readonly endAt?: number;
  readonly limit?: number;
  readonly missed: 'latest' | 'all';
  readonly missedCap: number;
  readonly overlap: 'allow' | 'skip';
  readonly job: NonNullable<ScheduleSpec['job']>;
}

function invalid(message: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_SCHEDULE_INVALID', message);
}

export function checkScheduleId(id: string): string {
  if (!SCHEDULE_ID_RE.test(id)) {
    throw invalid(
      `schedule id ${JSON.stringify(id.slice(0, 80))} must match ${String(SCHEDULE_ID_RE)}`,
    );
  }
  return id;
}

function timeOf(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalid(`${field} is not a time: ${JSON.stringify(text)}`);
  return ms;
}

/** The cron expression and time zone, checked: 400s with their own codes. */
export function cronOf(expression: string, tz: string | undefined): Cron {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new WorkmeshError(
      'WM_ERR_SCHEDULE_BAD_CRON',
      `cron ${JSON.stringify(expression)} has ${fields} fields; give 5 (minute first) or 6 (second first)`,
    );
  }
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
    } catch {
      throw new WorkmeshError(
        'WM_ERR_SCHEDULE_BAD_TIMEZONE',
        `unknown time zone ${JSON.stringify(tz)}`,
      );
    }
  }
  try {
    return new Cron(expression, { paused: true, timezone: tz ?? 'UTC' });
  } catch (err) {
    throw new WorkmeshError(
      'WM_ERR_SCHEDULE_BAD_CRON',
      `cron ${JSON.stringify(expression)}: ${(err as Error).message}`,
    );
  }
}

/**
 * Checks a schedule's shape and meaning and fills in its defaults; throws a WorkmeshError
 * (400) for anything wrong, before anything is stored. The job type and data are checked by
 * the caller against its registry.
 */
export function checkSchedule(spec: unknown): ScheduleDefinition {
  if (!Value.Check(ScheduleSpecSchema, spec)) {
    const first = [...Value.Errors(ScheduleSpecSchema, spec)][0];
    throw invalid(
      `schedule ${first ? `${first.path || '/'}: ${first.message}` : 'is not an object'}`,
    );
  }
  const s = spec;
  checkScheduleId(s.id);
  if ((s.cron === undefined) === (s.everyMs === undefined)) {
    throw invalid('a schedule has exactly one of `cron` and `everyMs`');
  }
  if (s.everyMs !== undefined && s.everyMs < MIN_EVERY_MS) {
    throw new WorkmeshError(
      'WM_ERR_SCHEDULE_BAD_INTERVAL',
      `everyMs ${s.everyMs} is under the minimum of ${MIN_EVERY_MS} ms`,
    );
  }
  if (s.tz !== undefined && s.cron === undefined) throw invalid('`tz` goes with `cron` only');
  if (s.cron !== undefined) cronOf(s.cron, s.tz);
  const startAt = timeOf(s.startAt, 'startAt');
  const endAt = timeOf(s.endAt, 'endAt');
  if (startAt !== undefined && endAt !== undefined && endAt < startAt) {
    throw invalid('endAt is before startAt');
  }
  if (s.missedCap !== undefined && s.missed !== 'all')
    throw invalid('`missedCap` goes with `missed: "all"`');
  return {
    id: s.id,
    type: s.type,
    data: s.data ?? null,
    ...(s.cron === undefined ? {} : { cron: s.cron.trim() }),
    ...(s.tz === undefined ? {} : { tz: s.tz }),
    ...(s.everyMs === undefined ? {} : { everyMs: s.everyMs }),
    ...(startAt === undefined ? {} : { startAt }),
    ...(endAt === undefined ? {} : { endAt }),
    ...(s.limit === undefined ? {} : { limit: s.limit }),
    missed: s.missed ?? 'latest',
    missedCap: s.missedCap ?? DEFAULT_MISSED_CAP,
    overlap: s.overlap ?? 'allow',
    job: s.job ?? {},
  };
}
