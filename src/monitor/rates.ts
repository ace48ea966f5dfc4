import type { QueueFigures } from './snapshot.js';

interface Counters {
  readonly at: number;
  readonly accepted: number;
  readonly done: number;
  readonly failed: number;
}

/**
 * Per-second rates from the queues' monotonic counters (their `stats` hash), between two
 * reads. The first read of a queue gives 0: there is nothing to compare it with.
 */
export class CounterRates {
  private readonly last = new Map<string, Counters>();

  /** Rates per queue and in total since the previous call. */
  update(
    queues: readonly QueueFigures[],
    at: number,
  ): {
    perQueue: Map<string, number>;
    total: { acceptedPerSec: number; donePerSec: number; failedPerSec: number };
  } {
    const perQueue = new Map<string, number>();
    const total = { acceptedPerSec: 0, donePerSec: 0, failedPerSec: 0 };
    for (const q of queues) {
      const before = this.last.get(q.queue);
      this.last.set(q.queue, { at, accepted: q.accepted, done: q.done, failed: q.failed });
      if (!before || at <= before.at) {
        perQueue.set(q.queue, 0);
        continue;
      }
      const sec = (at - before.at) / 1000;
      // A counter going down (keys deleted) restarts the count: no negative rates.
      const rate = (now: number, then: number): number => Math.max(0, now - then) / sec;
      const done = rate(q.done, before.done);
      const failed = rate(q.failed, before.failed);
      perQueue.set(q.queue, round(done + failed));
      total.acceptedPerSec += rate(q.accepted, before.accepted);
      total.donePerSec += done;
      total.failedPerSec += failed;
    }
    return {
      perQueue,
      total: {
        acceptedPerSec: round(total.acceptedPerSec),
        donePerSec: round(total.donePerSec),
        failedPerSec: round(total.failedPerSec),
      },
    };
  }
}

export function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The p-th percentile (0..100) of the values, nearest rank; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
