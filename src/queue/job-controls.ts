import { WorkmeshError } from '../errors/index.js';

/**
 * A job's place among the others, checked in one place for every way in (the API's body and
 * query, a batch item, the shell, a type's definition): priority, group and dedupe window.
 */

/** Lowest and highest priority; 0 (the default) is plain FIFO. */
export const PRIORITY_MIN = -10;
export const PRIORITY_MAX = 10;

/** A group: a tenant, a customer, an API key; safe inside a Redis key. */
export const GROUP_RE = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Longest dedupe key a client may send (it is stored as a digest, whatever its length). */
export const DEDUPE_KEY_MAX_CHARS = 256;
/** Longest dedupe window: 7 days. */
export const DEDUPE_TTL_MAX_SEC = 604_800;
export const DEDUPE_MODES = ['throttle', 'debounce'] as const;
export type DedupeMode = (typeof DEDUPE_MODES)[number];

/**
 * A deduplication window. throttle: a second job with the same key within ttlSec of the first
 * is answered with the first. debounce: it replaces the waiting one (its data wins) and the
 * job runs once ttlSec pass without another.
 */
export interface Dedupe {
  readonly key: string;
  readonly ttlSec: number;
  readonly mode: DedupeMode;
}

/** A type's dedupe rule (defineJob): the key is built from these top-level data fields. */
export interface DedupeRule {
  readonly fields: readonly string[];
  readonly ttlSec: number;
  readonly mode: DedupeMode;
}

export function checkPriority(value: unknown, where = 'priority'): number | undefined {
  if (value === undefined) return undefined;
  if (
    Number.isInteger(value) &&
    (value as number) >= PRIORITY_MIN &&
    (value as number) <= PRIORITY_MAX
  )
    return value as number;
  throw new WorkmeshError(
    'WM_ERR_JOB_BAD_PRIORITY',
    `${where} must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}, not ${JSON.stringify(value)}`,
  );
}

export function checkGroup(value: unknown, where = 'group'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && GROUP_RE.test(value)) return value;
  throw new WorkmeshError(
    'WM_ERR_JOB_BAD_GROUP',
    `${where} must match ${String(GROUP_RE)}, not ${JSON.stringify(value)?.slice(0, 80)}`,
  );
}

function badDedupe(why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_JOB_BAD_DEDUPE', why);
}

function checkWindow(ttlSec: unknown, mode: unknown, where: string): void {
  if (!(
    Number.isInteger(ttlSec) &&
    (ttlSec as number) >= 1 &&
    (ttlSec as number) <= DEDUPE_TTL_MAX_SEC
  ))
    throw badDedupe(`${where}.ttlSec must be an integer from 1 to ${DEDUPE_TTL_MAX_SEC}`);
  if (!DEDUPE_MODES.includes(mode as DedupeMode))
    throw badDedupe(`${where}.mode must be one of ${DEDUPE_MODES.map((m) => `"${m}"`).join(', ')}`);
}

export function checkDedupe(value: unknown, where = 'dedupe'): Dedupe | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badDedupe(`${where} must be an object {key, ttlSec, mode}`);
  const { key, ttlSec, mode, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw badDedupe(`${where} has an unknown property "${unknown}"`);
  if (typeof key !== 'string' || key.length < 1 || key.length > DEDUPE_KEY_MAX_CHARS)
    throw badDedupe(`${where}.key must be a string of 1 to ${DEDUPE_KEY_MAX_CHARS} characters`);
  checkWindow(ttlSec, mode, where);
  return { key, ttlSec: ttlSec as number, mode: mode as DedupeMode };
}

/** Checks a type's rule; answers why it is wrong, or undefined. */
export function dedupeRuleProblem(rule: unknown): string | undefined {
  if (typeof rule !== 'object' || rule === null) return 'dedupe must be {fields, ttlSec, mode}';
  const { fields, ttlSec, mode } = rule as Record<string, unknown>;
  if (
    !Array.isArray(fields) ||
    fields.length === 0 ||
    !fields.every((f) => typeof f === 'string' && f.length > 0)
  )
    return 'dedupe.fields must be a non-empty array of data field names';
  try {
    checkWindow(ttlSec, mode, 'dedupe');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/**
 * The window a type's rule gives a job: the key is the named fields' values (JSON), so the
 * same values make the same key whatever else the data hold.
 */
export function dedupeFromRule(rule: DedupeRule, type: string, data: unknown): Dedupe {
  const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const values = rule.fields.map((field) => {
    if (!Object.hasOwn(record, field))
      throw badDedupe(
        `data has no field "${field}", which type ${type} builds its dedupe key from`,
      );
    return record[field];
  });
  return { key: `${type}:${JSON.stringify(values)}`, ttlSec: rule.ttlSec, mode: rule.mode };
}
