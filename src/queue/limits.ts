import { WorkmeshError } from '../errors/index.js';

/** At most `max` job starts in any sliding window of `perMs`. */
export interface RateLimit {
  readonly max: number;
  readonly perMs: number;
}

/** A type's limits (docs/queues.md); an absent field is no limit. */
export interface QueueLimits {
  /** Starts of the type, cluster-wide. */
  readonly rate?: RateLimit;
  /** Jobs of the type running at once, cluster-wide. */
  readonly concurrency?: number;
  /** Starts of each group (a job's `group`), cluster-wide. */
  readonly groupRate?: RateLimit;
  /** Jobs of each group running at once, cluster-wide. */
  readonly groupConcurrency?: number;
}

/** A change of limits: a value sets a limit, `null` removes it, an absent field keeps it. */
export type LimitsChange = { readonly [K in keyof QueueLimits]?: QueueLimits[K] | null };

export const LIMIT_NAMES = ['rate', 'concurrency', 'groupRate', 'groupConcurrency'] as const;
/** Largest `max` or `concurrency`: beyond it a limit is no limit. */
export const MAX_LIMIT = 1_000_000;
/** Longest rate window: one day (a longer one belongs to a schedule, not a rate). */
export const MAX_PER_MS = 86_400_000;

function bad(message: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_QUEUE_BAD_LIMIT', message);
}

function count(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw bad(`${name} must be an integer 1..${max}, not ${JSON.stringify(value)}`);
  return value;
}

function rate(value: unknown, name: string): RateLimit {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(`${name} must be {max, perMs}`);
  const extra = Object.keys(value).filter((k) => k !== 'max' && k !== 'perMs');
  if (extra.length > 0) throw bad(`${name} has unknown field ${extra[0]}`);
  const r = value as Record<string, unknown>;
  return {
    max: count(r.max, `${name}.max`, MAX_LIMIT),
    perMs: count(r.perMs, `${name}.perMs`, MAX_PER_MS),
  };
}

/**
 * Checks a change of limits (a PUT body, or a definition's `limits` with nulls refused) and
 * answers it normalized; throws WM_ERR_QUEUE_BAD_LIMIT before anything is written.
 */
export function checkLimits(value: unknown, allowNull = true): LimitsChange {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('limits must be an object {rate?, concurrency?, groupRate?, groupConcurrency?}');
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(name))
      throw bad(`unknown limit ${JSON.stringify(name)}; known: ${LIMIT_NAMES.join(', ')}`);
    if (v === undefined) continue;
    if (v === null) {
      if (!allowNull) throw bad(`${name}: null removes a limit; leave it out instead`);
      out[name] = null;
    } else if (name === 'rate' || name === 'groupRate') out[name] = rate(v, name);
    else out[name] = count(v, name, MAX_LIMIT);
  }
  return out;
}

/**
 * A type's limit split over its partitions: each partition queue enforces its share (ceil, at
 * least 1), so the type as a whole stays within the limit give or take the rounding.
 */
export function shareOf(limit: number, partitions: number): number {
  return Math.max(1, Math.ceil(limit / Math.max(1, partitions)));
}

/**
 * The controls-hash fields of the limits; null: remove the field. Every partition of a type
 * holds the type's whole limit: gate.lua takes each partition's share (shareOf), so the
 * partition count is applied in one place.
 */
export function limitFields(change: LimitsChange): Record<string, string | null> {
  const fields: Record<string, string | null> = {};
  const setRate = (r: RateLimit | null | undefined, max: string, per: string): void => {
    if (r === undefined) return;
    fields[max] = r === null ? null : String(r.max);
    fields[per] = r === null ? null : String(r.perMs);
  };
  const setCount = (n: number | null | undefined, field: string): void => {
    if (n === undefined) return;
    fields[field] = n === null ? null : String(n);
  };
  setRate(change.rate, 'rateMax', 'ratePerMs');
  setCount(change.concurrency, 'concurrency');
  setRate(change.groupRate, 'groupRateMax', 'groupRatePerMs');
  setCount(change.groupConcurrency, 'groupConcurrency');
  return fields;
}

/** The limits after a change. */
export function applyChange(limits: QueueLimits, change: LimitsChange): QueueLimits {
  const out: Record<string, unknown> = { ...limits };
  for (const name of LIMIT_NAMES) {
    const v = change[name];
    if (v === null) delete out[name];
    else if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The change that makes `limits` exactly the limits (every other one removed). */
export function replaceWith(limits: QueueLimits): LimitsChange {
  const change: Record<string, unknown> = {};
  for (const name of LIMIT_NAMES) change[name] = limits[name] ?? null;
  return change;
}

export function hasLimits(limits: QueueLimits): boolean {
  return LIMIT_NAMES.some((name) => limits[name] !== undefined);
}
