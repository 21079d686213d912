// Closed-loop load: each connection keeps `concurrency` calls in flight, a new call starting as
// soon as one finishes. Calls finishing during the warm-up are not counted; the measured window
// runs from the end of the warm-up for `durationMs`, then new calls stop and in-flight ones drain.

import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram';
import type { ClientResult, CpuWindow } from './ipc';
import { describeError } from './ipc';

/** One client connection (channel) of an implementation under test. */
export interface BenchConnection {
  /**
   * Starts one echo call. `done` is called once, with the number of bytes echoed back (arg2 +
   * arg3 as the server returned them) or an error.
   */
  call(done: (err: Error | null, echoedBytes: number) => void): void;
  close(): Promise<void>;
}

export interface LoadPlan {
  warmupMs: number;
  durationMs: number;
  concurrency: number;
  /** arg2 + arg3 bytes each successful call must echo back. */
  expectedEchoBytes: number;
  /** arg3 bytes sent per call (what MiB/s is computed from). */
  bodyBytes: number;
  /** Longest a call may take; the drain waits this much (plus slack) for stragglers. */
  timeoutMs: number;
  onMeasuring(): void;
  onMeasured(): void;
}

export type LoadResult = Omit<ClientResult, 'maxRssKiB'>;

export function drive(conns: readonly BenchConnection[], plan: LoadPlan): Promise<LoadResult> {
  return new Promise((resolve) => {
    const hist = new Histogram();
    let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
    let calls = 0;
    let errors = 0;
    let firstError: string | null = null;
    let warmupErrors = 0;
    let firstWarmupError: string | null = null;
    let inflight = 0;
    let tStart = 0;
    let tEnd = 0;
    let cpuStart = process.cpuUsage();
    let cpu: CpuWindow = { userUs: 0, systemUs: 0 };
    let finished = false;
    let drainTimer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (drainTimer) clearTimeout(drainTimer);
      if (inflight > 0) {
        errors += inflight;
        firstError ??= `${inflight} calls still in flight ${plan.timeoutMs + 2000} ms after the window closed`;
      }
      resolve({
        calls,
        errors,
        firstError,
        warmupErrors,
        firstWarmupError,
        bodyBytes: calls * plan.bodyBytes,
        elapsedMs: tEnd - tStart,
        latencyUs: {
          p50: hist.percentile(50),
          p90: hist.percentile(90),
          p99: hist.percentile(99),
          p999: hist.percentile(99.9),
          mean: hist.mean(),
          min: hist.count ? hist.min : Number.NaN,
          max: hist.count ? hist.max : Number.NaN,
        },
        cpu,
      });
    };

    const failed = (message: string): void => {
      if (phase === 'measure') {
        errors++;
        firstError ??= message;
      } else if (phase === 'warmup') {
        warmupErrors++;
        firstWarmupError ??= message;
      }
    };

    const issue = (conn: BenchConnection): void => {
      if (phase === 'drain') {
        if (inflight === 0) finish();
        return;
      }
      inflight++;
      const t0 = performance.now();
      let answered = false;
      const done = (err: Error | null, echoedBytes: number): void => {
        if (answered) return;
        answered = true;
        inflight--;
        const ok = err === null && echoedBytes === plan.expectedEchoBytes;
        if (ok) {
          if (phase === 'measure') {
            calls++;
            hist.record((performance.now() - t0) * 1000);
          }
        } else {
          failed(err ? describeError(err) : `echo size ${echoedBytes}, expected ${plan.expectedEchoBytes}`);
        }
        if (phase === 'drain') {
          if (inflight === 0) finish();
        } else if (ok) {
          issue(conn);
        } else {
          // back off a little so a dead server cannot turn the loop into a busy spin
          setTimeout(issue, 1, conn);
        }
      };
      try {
        conn.call(done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)), 0);
      }
    };

    setTimeout(() => {
      phase = 'measure';
      tStart = performance.now();
      cpuStart = process.cpuUsage();
      plan.onMeasuring();
      setTimeout(() => {
        tEnd = performance.now();
        const used = process.cpuUsage(cpuStart);
        cpu = { userUs: used.user, systemUs: used.system };
        phase = 'drain';
        plan.onMeasured();
        if (inflight === 0) finish();
        else drainTimer = setTimeout(finish, plan.timeoutMs + 2000);
      }, plan.durationMs);
    }, plan.warmupMs);

    for (const conn of conns) {
      for (let i = 0; i < plan.concurrency; i++) issue(conn);
    }
  });
}
