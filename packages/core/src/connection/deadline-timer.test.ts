import { scheduleDeadline, TimerWheel } from './deadline-timer';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('scheduleDeadline (timer wheel)', () => {
  test('fires each deadline once, in order, never early and soon after its time', async () => {
    const start = performance.now();
    const fired: Array<{ ms: number; at: number }> = [];
    for (const ms of [0, 5, 17, 40, 80]) scheduleDeadline(ms, () => fired.push({ ms, at: performance.now() - start }));
    await sleep(250);
    expect(fired.map((f) => f.ms)).toEqual([0, 5, 17, 40, 80]);
    for (const f of fired) {
      expect(f.at).toBeGreaterThanOrEqual(f.ms - 1);
      expect(f.at).toBeLessThan(f.ms + 150);
    }
  });

  test('a cancelled deadline never fires; cancelling twice is harmless', async () => {
    let fired = 0;
    const deadline = scheduleDeadline(10, () => fired++);
    deadline.cancel();
    deadline.cancel();
    await sleep(40);
    expect(fired).toBe(0);
  });

  test('deadlines beyond one revolution of the wheel wait in the far list and still fire on time', async () => {
    // A tiny wheel (8 slots of 2 ms = 16 ms per revolution) so 60 ms is far.
    const small = new TimerWheel(2, 8);
    const start = performance.now();
    const fired: number[] = [];
    small.schedule(60, () => fired.push(performance.now() - start));
    small.schedule(100, () => fired.push(performance.now() - start));
    small.schedule(100, () => fired.push(-1)).cancel();
    await sleep(400);
    expect(fired).toHaveLength(2);
    expect(fired[0]).toBeGreaterThanOrEqual(59);
    expect(fired[0]).toBeLessThan(300);
    expect(fired[1]).toBeGreaterThanOrEqual(99);
    expect(small.count).toBe(0);
  });

  test('thousands of deadlines scheduled and cancelled leave nothing behind', async () => {
    let fired = 0;
    const deadlines = Array.from({ length: 5000 }, (_, i) => scheduleDeadline(20 + (i % 50), () => fired++));
    deadlines.forEach((d, i) => i % 2 === 0 && d.cancel());
    await sleep(120);
    expect(fired).toBe(2500);
  });
});
