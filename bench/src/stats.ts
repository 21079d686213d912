// Order statistics over plain arrays: medians across repeats, percentiles over small samples.

/** Median of the values (mean of the middle two for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * The p-th percentile (0..100) by linear interpolation between closest ranks, the same rule as
 * numpy's default. NaN for an empty list. The input is not modified.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile out of range: ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** Median with the range it came from; non-finite runs (failed trials) are left out. */
export function spread(runs: readonly number[]): Spread {
  const ok = runs.filter((v) => Number.isFinite(v));
  return {
    median: median(ok),
    min: ok.length ? Math.min(...ok) : Number.NaN,
    max: ok.length ? Math.max(...ok) : Number.NaN,
    runs: [...runs],
  };
}
