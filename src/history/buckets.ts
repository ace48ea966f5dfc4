/**
 * Durations as fixed log-scale buckets: 4 per doubling from 1 ms (each about 19 % wide), so
 * the histograms of several processes merge by adding counts (HINCRBY), and a percentile read
 * back is within half a bucket (about ±9 %) of the exact one. Bucket 0 holds < 1 ms; bucket
 * b ≥ 1 holds [2^((b-1)/4), 2^(b/4)) ms; the last bucket holds everything longer (~388 days).
 */
export const BUCKETS_PER_DOUBLING = 4;
export const MAX_BUCKET = 140;

export function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(MAX_BUCKET, 1 + Math.floor(Math.log2(ms) * BUCKETS_PER_DOUBLING));
}

function bounds(bucket: number): readonly [number, number] {
  if (bucket <= 0) return [0, 1];
  return [2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING), 2 ** (bucket / BUCKETS_PER_DOUBLING)];
}

/** Counts by bucket. */
export type Histogram = Map<number, number>;

export function addTo(into: Histogram, from: ReadonlyMap<number, number>): void {
  for (const [b, n] of from) into.set(b, (into.get(b) ?? 0) + n);
}

/**
 * The q-quantile (0..1) of a histogram in ms, interpolated linearly inside its bucket;
 * undefined when it holds nothing.
 */
export function quantile(histogram: ReadonlyMap<number, number>, q: number): number | undefined {
  const buckets = [...histogram].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (const [b, n] of buckets) {
    if (below + n >= rank) {
      const [lo, hi] = bounds(b);
      return lo + ((hi - lo) * (rank - below)) / n;
    }
    below += n;
  }
  return bounds(buckets[buckets.length - 1]![0])[1];
}
