#!/usr/bin/env node
// Runs the fuzz targets of test/fuzz for a chosen time and reports how many inputs each tried.
//
//   pnpm --filter @tchannel/core fuzz -- --seconds 60 [--seed 1234]
//
// The normal test suite runs the same targets on a fixed, small number of inputs. Here each target
// gets its share of --seconds (see test/fuzz/fuzz-budget.fixtures.ts), the files run one after
// the other, and a failure prints fast-check's seed: pass it back with --seed to replay it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const options = { seconds: 60, seed: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // pnpm may pass the `--` separator through.
    if (arg === '--') continue;
    const [name, inline] = arg.split('=', 2);
    const value = () => inline ?? argv[++i];
    if (name === '--seconds') options.seconds = Number(value());
    else if (name === '--seed') options.seed = Number(value());
    else if (name === '--help' || name === '-h') {
      console.log('usage: fuzz.mjs [--seconds N] [--seed S]');
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(options.seconds) || options.seconds <= 0) {
    console.error('--seconds must be a positive number');
    process.exit(2);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    console.error('--seed must be an integer');
    process.exit(2);
  }
  return options;
}

const { seconds, seed } = parseArgs(process.argv.slice(2));
const reportDir = mkdtempSync(join(tmpdir(), 'tchannel-fuzz-'));
const report = join(reportDir, 'report.jsonl');
const jest = createRequire(join(packageDir, 'package.json')).resolve('jest/bin/jest');

console.log(`fuzzing for ${seconds} s${seed === undefined ? '' : ` with seed ${seed}`}...`);
const startedAt = Date.now();
const result = spawnSync(
  process.execPath,
  [jest, '--runInBand', '--testTimeout', String(seconds * 1000 + 120_000), '--rootDir', packageDir, 'test/fuzz'],
  {
    cwd: packageDir,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SECONDS: String(seconds), FUZZ_REPORT: report, ...(seed === undefined ? {} : { FUZZ_SEED: String(seed) }) },
  },
);

let rows = [];
try {
  rows = readFileSync(report, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
} catch {
  // No report: jest failed before any target ran.
}
rmSync(reportDir, { recursive: true, force: true });

const width = Math.max(6, ...rows.map((r) => r.target.length));
console.log(`\n${'target'.padEnd(width)}  ${'inputs'.padStart(10)}  ${'seconds'.padStart(8)}  ${'per s'.padStart(8)}`);
let total = 0;
for (const { target, runs, ms } of rows) {
  total += runs;
  const rate = ms > 0 ? Math.round((runs * 1000) / ms) : runs;
  console.log(`${target.padEnd(width)}  ${String(runs).padStart(10)}  ${(ms / 1000).toFixed(1).padStart(8)}  ${String(rate).padStart(8)}`);
}
const wall = ((Date.now() - startedAt) / 1000).toFixed(1);
const outcome = result.status === 0 ? 'no failure' : 'FAILED (see above for the counterexample and its seed)';
console.log(`${'total'.padEnd(width)}  ${String(total).padStart(10)}  ${wall.padStart(8)}  ${''.padStart(8)}\n${outcome}`);
process.exit(result.status ?? 1);
