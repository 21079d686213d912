// Command-line flags of `node dist/run.js`.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { IMPL_IDS, parseImplId, type ImplId } from './impls/registry';
import { PIN_MODES, type PinMode } from './pinning';
import { SCENARIOS, type ScenarioId } from './scenarios';

export interface Options {
  durationMs: number;
  warmupMs: number;
  repeat: number;
  only: ImplId[];
  scenarios: ScenarioId[];
  pin: PinMode;
  outDir: string;
}

export const USAGE = `Usage: node bench/dist/run.js [flags]    (or: pnpm bench)

  --duration <s>     measured seconds per trial            (default 3)
  --warmup <s>       warm-up seconds before each window    (default 1)
  --repeat <n>       trials per implementation and scenario; medians are reported (default 3)
  --only <list>      implementations: ours,node,grpc,net   (default all)
  --scenarios <list> latency,throughput,large,connections or 1,2,3,4 (default all)
  --pin <mode>       split: server on CPU 0, client on CPU 1 (default); same: both on CPU 0;
                     off: unpinned (c=1 latency then swings with where the scheduler puts them)
  --out <dir>        where latest.md and latest.json go    (default bench/results)
  -h, --help
`;

function numberFlag(name: string, raw: string | undefined, fallback: number, kind: 'seconds' | 'count'): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const ok = kind === 'count' ? Number.isInteger(v) && v >= 1 : Number.isFinite(v) && v >= 0;
  if (!ok) throw new Error(`--${name} must be ${kind === 'count' ? 'an integer >= 1' : 'a number of seconds >= 0'}, got "${raw}"`);
  return v;
}

function list<T>(name: string, raw: string | undefined, all: readonly T[], parse: (s: string) => T | undefined): T[] {
  if (raw === undefined) return [...all];
  const out: T[] = [];
  for (const part of raw.split(',').filter((p) => p.trim() !== '')) {
    const v = parse(part);
    if (v === undefined) throw new Error(`--${name}: unknown "${part}"`);
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) throw new Error(`--${name} is empty`);
  // keep the canonical order whatever order was typed
  return all.filter((v) => out.includes(v));
}

function parseScenario(s: string): ScenarioId | undefined {
  const t = s.trim().toLowerCase();
  return SCENARIOS.find((sc) => sc.id === t || String(sc.number) === t)?.id;
}

function parsePin(raw: string | undefined): PinMode {
  if (raw === undefined) return 'split';
  const mode = PIN_MODES.find((m) => m === raw.trim().toLowerCase());
  if (!mode) throw new Error(`--pin must be one of ${PIN_MODES.join(', ')}, got "${raw}"`);
  return mode;
}

/** Parsed options, or null when help was asked for. */
export function parseOptions(argv: readonly string[]): Options | null {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeat: { type: 'string' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      pin: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  return {
    durationMs: Math.max(100, numberFlag('duration', values.duration, 3, 'seconds') * 1000),
    warmupMs: numberFlag('warmup', values.warmup, 1, 'seconds') * 1000,
    repeat: numberFlag('repeat', values.repeat, 3, 'count'),
    only: list('only', values.only, IMPL_IDS, parseImplId),
    scenarios: list('scenarios', values.scenarios, SCENARIOS.map((s) => s.id), parseScenario),
    pin: parsePin(values.pin),
    outDir: path.resolve(values.out ?? path.join(__dirname, '..', 'results')),
  };
}
