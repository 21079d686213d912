/**
 * How long each fuzz target runs, and the record of what it tried.
 *
 * In the normal suite (no FUZZ_SECONDS) every target runs a fixed number of inputs, with a time cap
 * so a slow machine cannot stretch the suite. `scripts/fuzz.mjs --seconds N` sets FUZZ_SECONDS=N:
 * each target then runs for its share of N seconds (the shares below add up to 1), and appends
 * `{ target, runs, ms }` to the JSON-lines file named by FUZZ_REPORT so the script can report how
 * many inputs were tried. FUZZ_SEED replays a failure's seed (fast-check prints it).
 */
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';

/** Each target's share of the fuzz command's time. */
export const FUZZ_SHARES = {
  'decodeFrame: mutated valid frames': 0.2,
  'decodeFrame: targeted length and count fields': 0.1,
  'frame splitter: mutated streams': 0.1,
  'message assembler: fragment sequences': 0.1,
  'live server: byte streams after init': 0.5,
} as const;

export type FuzzTarget = keyof typeof FUZZ_SHARES;

const seconds = Number(process.env['FUZZ_SECONDS'] ?? '0');
/** True when run by the fuzz command, for as long as it says. */
export const LONG_FUZZ = Number.isFinite(seconds) && seconds > 0;
const seed = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);

/** Time a target may take: its share of FUZZ_SECONDS, or the normal suite's cap. */
export function budgetMs(target: FuzzTarget, normalCapMs: number): number {
  return LONG_FUZZ ? Math.max(1000, Math.round(seconds * 1000 * FUZZ_SHARES[target])) : normalCapMs;
}

/**
 * fast-check parameters for a target: `normalRuns` inputs in the normal suite (stopping early at
 * `normalCapMs`), or as many as fit its share of FUZZ_SECONDS. `shrink: false` reports a failure as
 * found, without looking for a smaller one.
 */
export function fuzzParameters<T>(target: FuzzTarget, normalRuns: number, normalCapMs: number, options: { shrink?: boolean } = {}): fc.Parameters<T> {
  return {
    numRuns: LONG_FUZZ ? Number.MAX_SAFE_INTEGER : normalRuns,
    interruptAfterTimeLimit: budgetMs(target, normalCapMs),
    // Shrinking replays inputs; over live sockets that is slow, and the seed replays the failure anyway.
    endOnFailure: options.shrink === false,
    ...(seed === undefined || !Number.isFinite(seed) ? {} : { seed }),
  };
}

/** Counts a target's inputs and reports them when the target ends. */
export class FuzzCounter {
  runs = 0;
  private readonly startedAt = performance.now();

  constructor(readonly target: FuzzTarget) {}

  /** Call once per input tried. */
  tick(): void {
    this.runs++;
  }

  /** Appends this target's count to FUZZ_REPORT, if the fuzz command asked for one. */
  report(): void {
    const file = process.env['FUZZ_REPORT'];
    if (file === undefined || file === '') return;
    const ms = Math.round(performance.now() - this.startedAt);
    appendFileSync(file, `${JSON.stringify({ target: this.target, runs: this.runs, ms })}\n`);
  }
}
