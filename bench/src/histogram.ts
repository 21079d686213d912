// Constant-memory latency histogram: log-spaced buckets 1% apart, so a percentile read from it is
// within ~0.5% of the exact value and recording costs the same at 1k or 1M calls (and does not
// inflate the client's RSS, which is itself measured).

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets cover 1 µs .. ~60 s; anything smaller lands in bucket 0, larger in the last one. */
const BUCKETS = Math.ceil(Math.log(60e6) / LOG_GROWTH) + 2;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Records one latency in microseconds. */
  record(us: number): void {
    const idx = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_GROWTH) + 1);
    this.counts[idx] = (this.counts[idx] as number) + 1;
    this.count++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  /** The p-th percentile (0..100) in microseconds; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= target) {
        if (i === 0) return Math.min(1, this.max);
        // geometric middle of [GROWTH^(i-1), GROWTH^i), clamped to what was really seen
        const mid = Math.pow(GROWTH, i - 0.5);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }
}
