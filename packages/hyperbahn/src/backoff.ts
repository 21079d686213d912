/**
 * How long to wait between successful advertisements: `minMs` plus a random share of `jitterMs`,
 * so instances started together do not advertise together.
 */
export interface AdvertiseInterval {
  readonly minMs: number;
  readonly jitterMs: number;
}

/** How long to wait after a failed advertisement: `initialMs`, doubling per consecutive failure, at most `maxMs`. */
export interface AdvertiseBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * tchannel-go's schedule: every 50 s plus up to 20 s (tchannel-node: 60 s ± 30 s). Hyperbahn
 * forgets an instance that stops advertising after a few minutes.
 */
export const DEFAULT_ADVERTISE_INTERVAL: AdvertiseInterval = Object.freeze({ minMs: 50_000, jitterMs: 20_000 });

/** One fast retry, then doubling up to 10 s (tchannel-node: 200 ms, 1 s ... 10 s). */
export const DEFAULT_ADVERTISE_BACKOFF: AdvertiseBackoff = Object.freeze({ initialMs: 200, maxMs: 10_000 });

/** The delay before the next advertisement after a success. */
export function intervalDelay(interval: AdvertiseInterval, random: () => number = Math.random): number {
  return Math.round(interval.minMs + random() * interval.jitterMs);
}

/** The delay before retrying after `failures` consecutive failures (1 for the first). */
export function backoffDelay(backoff: AdvertiseBackoff, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  // 2 ** 1100 is Infinity, and Math.min handles it: no overflow to guard against.
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** exponent);
}
