import { WorkmeshError } from '../errors/index.js';
import { HISTORY_STEPS, type HistoryStep } from './read.js';
import { HISTORY_DAYS, MINUTE_MS } from './recorder.js';

/** Most steps one read answers (14 days at 5 minutes is 4,032). */
export const MAX_HISTORY_POINTS = 5000;
/** The longest range one read covers: what is kept, and the day being written. */
export const MAX_HISTORY_RANGE_MS = (HISTORY_DAYS + 1) * 86_400_000;

export interface HistoryQuery {
  readonly from?: string;
  readonly to?: string;
  readonly step?: string;
}

export interface HistoryRange {
  readonly fromMs: number;
  readonly toMs: number;
  readonly step: HistoryStep;
  readonly stepMin: number;
}

function bad(message: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_API_BAD_REQUEST', message);
}

/** A time as ms since the epoch, or ISO 8601; undefined when absent. */
function timeOf(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms))
    throw bad(`${name} must be a time: ms since the epoch or ISO 8601 (2026-12-02T14:00:00Z)`);
  return ms;
}

/**
 * The range of a history read: `to` defaults to now, `from` to an hour before `to`, `step` to
 * 1m; 400 WM_ERR_API_BAD_REQUEST for a malformed time, from not before to, a range over 15
 * days, an unknown step or more than MAX_HISTORY_POINTS steps.
 */
export function historyRange(query: HistoryQuery, nowMs = Date.now()): HistoryRange {
  const toMs = timeOf('to', query.to) ?? nowMs;
  const fromMs = timeOf('from', query.from) ?? toMs - 60 * MINUTE_MS;
  if (fromMs >= toMs) throw bad('from must be before to');
  if (toMs - fromMs > MAX_HISTORY_RANGE_MS)
    throw bad(
      `the range is ${HISTORY_DAYS + 1} days at most (history is kept ${HISTORY_DAYS} days)`,
    );
  const step = (query.step ?? '1m') as HistoryStep;
  const stepMin = HISTORY_STEPS[step] as number | undefined;
  if (stepMin === undefined)
    throw bad(`step must be one of ${Object.keys(HISTORY_STEPS).join(', ')}`);
  if ((toMs - fromMs) / (stepMin * MINUTE_MS) > MAX_HISTORY_POINTS)
    throw bad(`more than ${MAX_HISTORY_POINTS} steps: use a coarser step`);
  return { fromMs, toMs, step, stepMin };
}
