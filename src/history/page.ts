import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import type { HistoryRange } from './range.js';
import { readHistory, type HistoryPoint, type HistoryStep } from './read.js';

/** GET /api/metrics/history's answer (the console's too). */
export interface HistoryPage {
  readonly type: string | null;
  readonly from: string;
  readonly to: string;
  readonly step: HistoryStep;
  readonly points: HistoryPoint[];
}

/**
 * The history of one type (or of all `types` added up, type undefined) over a range checked
 * by historyRange(); the type is the caller's to check.
 */
export async function historyPage(
  redis: Redis,
  keys: Keys,
  types: readonly string[],
  type: string | undefined,
  range: HistoryRange,
): Promise<HistoryPage> {
  const points = await readHistory(
    redis,
    keys,
    type === undefined ? [...types] : [type],
    range.fromMs,
    range.toMs,
    range.stepMin,
  );
  return {
    type: type ?? null,
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    step: range.step,
    points,
  };
}
