import type { Redis } from 'ioredis';
import type { Keys } from '../redis/index.js';
import { quantile, type Histogram } from './buckets.js';
import { BLOCK_MINUTES, MINUTE_MS } from './recorder.js';

/** The steps a history may be read at, in minutes. */
export const HISTORY_STEPS = {
  '1m': 1,
  '5m': 5,
  '15m': 15,
  '30m': 30,
  '1h': 60,
  '3h': 180,
  '6h': 360,
  '1d': 1440,
} as const;
export type HistoryStep = keyof typeof HISTORY_STEPS;

/** One step of a type's history (or of several types' together). */
export interface HistoryPoint {
  /** Start of the step, ISO 8601. */
  readonly at: string;
  readonly accepted: number;
  readonly done: number;
  readonly failed: number;
  /** Percentiles of the wait (entry in the stream → start) of the jobs started; null: none. */
  readonly waitP50Ms: number | null;
  readonly waitP95Ms: number | null;
  /** Percentiles of the run time of the attempts ended; null: none. */
  readonly runP50Ms: number | null;
  readonly runP95Ms: number | null;
}

interface Step {
  accepted: number;
  done: number;
  failed: number;
  readonly wait: Histogram;
  readonly run: Histogram;
}

const FIELD_RE = /^(\d)(a|d|f|w|r)(\d{0,3})$/;

/**
 * The history of the given types (summed) from fromMs to toMs, in steps of stepMin minutes
 * aligned on the epoch (UTC): every step in the range, zero when nothing was recorded. One
 * HGETALL per type and block of BLOCK_MINUTES, each type's in one pipeline (14 days of one
 * type: 4,032 small hashes).
 */
export async function readHistory(
  redis: Redis,
  keys: Keys,
  types: readonly string[],
  fromMs: number,
  toMs: number,
  stepMin: number,
): Promise<HistoryPoint[]> {
  const first = Math.floor(fromMs / MINUTE_MS / stepMin) * stepMin;
  const end = Math.ceil(toMs / MINUTE_MS); // exclusive
  const count = Math.max(0, Math.ceil((end - first) / stepMin));
  const steps: Step[] = Array.from({ length: count }, () => ({
    accepted: 0,
    done: 0,
    failed: 0,
    wait: new Map(),
    run: new Map(),
  }));
  const firstBlock = Math.floor(first / BLOCK_MINUTES);
  const lastBlock = Math.floor((end - 1) / BLOCK_MINUTES);
  await Promise.all(
    types.map(async (type) => {
      const pipeline = redis.pipeline();
      for (let block = firstBlock; block <= lastBlock; block++)
        pipeline.hgetall(keys.history(type, block));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([err, hash], i) => {
        if (err) throw err;
        const block = firstBlock + i;
        for (const [field, value] of Object.entries(hash as Record<string, string>)) {
          const m = FIELD_RE.exec(field);
          if (!m) continue;
          const minute = block * BLOCK_MINUTES + Number(m[1]);
          if (minute < first || minute >= end) continue;
          const step = steps[Math.floor((minute - first) / stepMin)]!;
          const n = Number(value);
          if (m[2] === 'a') step.accepted += n;
          else if (m[2] === 'd') step.done += n;
          else if (m[2] === 'f') step.failed += n;
          else {
            const h = m[2] === 'w' ? step.wait : step.run;
            const b = Number(m[3]);
            h.set(b, (h.get(b) ?? 0) + n);
          }
        }
      });
    }),
  );
  const ms = (v: number | undefined): number | null =>
    v === undefined ? null : Math.round(v * 10) / 10;
  return steps.map((s, i) => ({
    at: new Date((first + i * stepMin) * MINUTE_MS).toISOString(),
    accepted: s.accepted,
    done: s.done,
    failed: s.failed,
    waitP50Ms: ms(quantile(s.wait, 0.5)),
    waitP95Ms: ms(quantile(s.wait, 0.95)),
    runP50Ms: ms(quantile(s.run, 0.5)),
    runP95Ms: ms(quantile(s.run, 0.95)),
  }));
}
