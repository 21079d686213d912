import { backoffDelay, DEFAULT_ADVERTISE_BACKOFF, DEFAULT_ADVERTISE_INTERVAL, intervalDelay } from './backoff';

describe('intervalDelay', () => {
  test('spreads over [minMs, minMs + jitterMs]', () => {
    expect(intervalDelay(DEFAULT_ADVERTISE_INTERVAL, () => 0)).toBe(50_000);
    expect(intervalDelay(DEFAULT_ADVERTISE_INTERVAL, () => 0.5)).toBe(60_000);
    expect(intervalDelay(DEFAULT_ADVERTISE_INTERVAL, () => 0.999_999)).toBe(70_000);
    expect(intervalDelay({ minMs: 40, jitterMs: 0 })).toBe(40);
  });
});

describe('backoffDelay', () => {
  test('doubles per consecutive failure from initialMs, capped at maxMs', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffDelay(DEFAULT_ADVERTISE_BACKOFF, failures));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
  });

  test('stays at the cap however many failures', () => {
    expect(backoffDelay({ initialMs: 10, maxMs: 50 }, 5_000)).toBe(50);
  });
});
