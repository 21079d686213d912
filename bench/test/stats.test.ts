import { Histogram } from '../src/histogram';
import { median, percentile, spread } from '../src/stats';

describe('stats', () => {
  it('takes medians and interpolated percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 25)).toBe(20);
    expect(percentile([1, 2], 100)).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('leaves failed runs out of the spread', () => {
    expect(spread([5, Number.NaN, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: [5, Number.NaN, 1, 3] });
  });
});

describe('Histogram', () => {
  it('reads percentiles within 1% of the exact value', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      const v = 5 + ((i * 7919) % 10_000) / 10; // 5 .. 1005 µs, shuffled
      values.push(v);
      h.record(v);
    }
    for (const p of [50, 90, 99, 99.9]) {
      const exact = percentile(values, p);
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.count).toBe(10_000);
    expect(h.min).toBe(5);
    expect(h.max).toBe(1004.9);
  });

  it('handles sub-microsecond values and an empty histogram', () => {
    const h = new Histogram();
    expect(h.percentile(50)).toBeNaN();
    h.record(0.4);
    expect(h.percentile(50)).toBe(0.4);
  });
});
