// The benchmark command: for every scenario, repeat and implementation, runs one trial (a
// server child and a client child over 127.0.0.1), then writes and prints the report.
//   node bench/dist/run.js [--duration 3] [--warmup 1] [--repeat 3] [--only ours,node,grpc,net]

import { aggregate, summarize, trialMetrics } from './aggregate';
import { USAGE, parseOptions, type Options } from './cli';
import { describeEnvironment } from './env';
import { allImpls, type Impl } from './impls/registry';
import { placement } from './pinning';
import { writeReport, type Report } from './report';
import { SCENARIOS } from './scenarios';
import { runTrial, type Trial } from './trial';

function progressLine(t: Trial, label: string): string {
  if (t.failure) return `    ${label.padEnd(22)} FAILED: ${t.failure.split('\n')[0] ?? ''}`;
  const m = trialMetrics(t);
  const f = (v: number, d = 0): string => (Number.isFinite(v) ? v.toFixed(d) : '–');
  return (
    `    ${label.padEnd(22)} ${f(m.callsPerSec).padStart(7)} calls/s ${f(m.mibPerSec, 1).padStart(7)} MiB/s  ` +
    `p50 ${f(m.p50Us, 1).padStart(7)} µs  p99 ${f(m.p99Us, 1).padStart(8)} µs  ` +
    `rss c/s ${f(m.clientRssMiB)}/${f(m.serverRssMiB)} MiB  conns ${f(m.connections)}  other ${f(m.otherCpus, 2)} CPUs` +
    (m.errors > 0 ? `  errors ${m.errors}` : '')
  );
}

/** Rotates the implementation order every repeat so none always runs first (or last). */
function rotated<T>(list: readonly T[], by: number): T[] {
  const k = list.length === 0 ? 0 : by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function bench(options: Options): Promise<number> {
  const impls = allImpls().filter((i) => options.only.includes(i.id));
  for (const i of impls) if (i.unavailable) console.log(`skipping ${i.label}: ${i.unavailable}`);
  const runnable: Impl[] = impls.filter((i) => !i.unavailable);
  if (runnable.length === 0) {
    console.error('nothing to run');
    return 1;
  }
  const scenarios = SCENARIOS.filter((s) => options.scenarios.includes(s.id));
  const trialCount = scenarios.length * options.repeat * runnable.length;
  const estimate = Math.ceil((trialCount * (options.warmupMs + options.durationMs + 1500)) / 1000);
  console.log(
    `${trialCount} trials (${runnable.map((i) => i.id).join(', ')} × ${scenarios.length} scenarios × ${options.repeat}), about ${estimate} s`,
  );

  const place = placement(options.pin);
  if (place.note) console.log(place.note);
  console.log(
    place.mode === 'off' ? 'children not pinned' : `pinned: server on CPU ${place.server}, client on CPU ${place.client}`,
  );
  const trialOptions = {
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    serverCpu: place.server,
    clientCpu: place.client,
  };
  const environment = describeEnvironment();
  const trials: Trial[] = [];
  for (const scenario of scenarios) {
    for (let r = 0; r < options.repeat; r++) {
      console.log(`[${scenario.number}. ${scenario.id}, repeat ${r + 1}/${options.repeat}]`);
      for (const impl of rotated(runnable, r)) {
        const t = await runTrial(impl, scenario, r, trialOptions);
        trials.push(t);
        console.log(progressLine(t, impl.label));
      }
    }
  }

  const cells = aggregate(trials);
  const report: Report = {
    environment,
    options: {
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      repeat: options.repeat,
      only: options.only,
      scenarios: options.scenarios,
      pin: place.mode,
    },
    impls: impls.map((i) => ({ id: i.id, label: i.label, skipped: i.unavailable })),
    scenarios: SCENARIOS,
    summary: summarize(
      cells,
      runnable.map((i) => i.id),
      scenarios.map((s) => s.id),
    ),
    cells,
    trials,
  };
  const { markdown, files } = writeReport(report, options.outDir);
  console.log(`\n${markdown}`);
  console.log(`written: ${files.join(', ')}`);
  return trials.some((t) => t.failure || (t.client?.errors ?? 0) > 0) ? 1 : 0;
}

function main(): void {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  if (!options) {
    console.log(USAGE);
    return;
  }
  bench(options).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

main();
