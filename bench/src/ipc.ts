// Messages between the orchestrator (parent) and its forked server and client children.

import type { Scenario } from './scenarios';

/** CPU time (µs) a process spent while the client was measuring. */
export interface CpuWindow {
  userUs: number;
  systemUs: number;
}

export type ToServer =
  | { type: 'mark'; at: 'start' | 'end' }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; hostPort: string }
  | { type: 'stopped'; maxRssKiB: number; cpu: CpuWindow | null }
  | { type: 'error'; message: string };

export interface RunOrder {
  type: 'run';
  hostPort: string;
  scenario: Scenario;
  warmupMs: number;
  durationMs: number;
}

export type ToClient = RunOrder | { type: 'close' };

export interface ClientResult {
  /** Calls completed (successfully) inside the measured window. */
  calls: number;
  /** Calls that failed inside the measured window (or were still unanswered after it). */
  errors: number;
  /** First such error, for the report. */
  firstError: string | null;
  /** Calls that failed during the warm-up (not counted anywhere else), and the first one. */
  warmupErrors: number;
  firstWarmupError: string | null;
  /** Request arg3 bytes of those calls (each one also got the same bytes echoed back). */
  bodyBytes: number;
  elapsedMs: number;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; mean: number; min: number; max: number };
  maxRssKiB: number;
  cpu: CpuWindow;
}

export type FromClient =
  | { type: 'measuring' }
  | { type: 'measured' }
  | { type: 'result'; result: ClientResult }
  | { type: 'closed'; maxRssKiB: number }
  | { type: 'error'; message: string };

/** Sends to the parent; a child without an IPC channel was not started by the orchestrator. */
export function toParent(msg: FromServer | FromClient): void {
  if (!process.send) throw new Error('this file is a benchmark child: start it through dist/run.js');
  process.send(msg);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
